import { ByteQueue } from './byte-queue';
import { decodePixelFormat, PixelFormat } from './pixel-format';

export interface ServerInit {
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  name: string;
}

export type HandshakeStep =
  { kind: 'need-more' } | { kind: 'send'; bytes: Buffer } | { kind: 'done'; init: ServerInit };

export class RfbHandshakeError extends Error {
  override name = 'RfbHandshakeError';
}

const VERSION_38 = 'RFB 003.008\n';
const SECURITY_NONE = 1;
const MAX_REASON = 4096;
const MAX_NAME = 4096;

type State = 'version' | 'security' | 'security-result' | 'server-init';

/**
 * The client side of the RFB 3.8 handshake with security type None (QEMU's unix socket VNC
 * needs no password; access control is the socket's file mode). Pure: bytes in, bytes out.
 */
export class RfbHandshake {
  private state: State = 'version';

  constructor(private readonly q: ByteQueue) {}

  /** Advances as far as the queued bytes allow; call again until `need-more` or `done`. */
  step(): HandshakeStep {
    const q = this.q;
    switch (this.state) {
      case 'version': {
        if (q.length < 12) return { kind: 'need-more' };
        const v = q.take(12).toString('latin1');
        if (!/^RFB \d{3}\.\d{3}\n$/.test(v)) throw new RfbHandshakeError('not an RFB server');
        const [major, minor] = v.slice(4, 11).split('.').map(Number);
        if (major < 3 || (major === 3 && minor < 8)) {
          throw new RfbHandshakeError(`RFB ${major}.${minor} is too old, need 3.8`);
        }
        this.state = 'security';
        return { kind: 'send', bytes: Buffer.from(VERSION_38, 'latin1') };
      }
      case 'security': {
        if (q.length < 1) return { kind: 'need-more' };
        const n = q.u8(0);
        if (n === 0) return this.failure(1);
        if (q.length < 1 + n) return { kind: 'need-more' };
        const types = [...q.take(1 + n).subarray(1)];
        if (!types.includes(SECURITY_NONE)) {
          throw new RfbHandshakeError(`no supported security type (offered ${types.join(',')})`);
        }
        this.state = 'security-result';
        return { kind: 'send', bytes: Buffer.from([SECURITY_NONE]) };
      }
      case 'security-result': {
        if (q.length < 4) return { kind: 'need-more' };
        if (q.u32(0) !== 0) return this.failure(4);
        q.skip(4);
        this.state = 'server-init';
        // ClientInit: shared-flag 1, so other viewers (and QEMU's own) stay connected.
        return { kind: 'send', bytes: Buffer.from([1]) };
      }
      case 'server-init': {
        if (q.length < 24) return { kind: 'need-more' };
        const nameLength = q.u32(20);
        if (nameLength > MAX_NAME) throw new RfbHandshakeError('desktop name too long');
        if (q.length < 24 + nameLength) return { kind: 'need-more' };
        const b = q.take(24 + nameLength);
        return {
          kind: 'done',
          init: {
            width: b.readUInt16BE(0),
            height: b.readUInt16BE(2),
            pixelFormat: decodePixelFormat(b.subarray(4, 20)),
            name: b.toString('utf8', 24),
          },
        };
      }
    }
  }

  /** A failure carries a u32 reason length and the reason, after `skip` bytes. */
  private failure(skip: number): HandshakeStep {
    const q = this.q;
    if (q.length < skip + 4) return { kind: 'need-more' };
    const len = q.u32(skip);
    if (len > MAX_REASON) throw new RfbHandshakeError('server refused the connection');
    if (q.length < skip + 4 + len) return { kind: 'need-more' };
    const reason = q.take(skip + 4 + len).toString('latin1', skip + 4);
    throw new RfbHandshakeError(`server refused the connection: ${reason}`);
  }
}
