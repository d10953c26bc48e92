import { ByteQueue } from './byte-queue';
import { Encoding } from './messages';

/** A rectangle of a FramebufferUpdate, its payload still encoded. */
export type RfbRect =
  | { kind: 'raw'; x: number; y: number; w: number; h: number; pixels: Buffer }
  | { kind: 'copy'; x: number; y: number; w: number; h: number; srcX: number; srcY: number }
  | { kind: 'zrle'; x: number; y: number; w: number; h: number; zlibData: Buffer }
  | { kind: 'zlib'; x: number; y: number; w: number; h: number; zlibData: Buffer }
  | {
      kind: 'cursor';
      hotX: number;
      hotY: number;
      w: number;
      h: number;
      pixels: Buffer;
      mask: Buffer;
    }
  | { kind: 'desktop-size'; w: number; h: number }
  | {
      kind: 'extended-desktop-size';
      w: number;
      h: number;
      reason: number;
      status: number;
      screens: { id: number; x: number; y: number; w: number; h: number; flags: number }[];
    };

export type RfbServerEvent =
  | { kind: 'update-begin'; rects: number }
  | { kind: 'rect'; rect: RfbRect }
  | { kind: 'update-end' }
  | { kind: 'bell' }
  | { kind: 'cut-text'; text: string }
  /** Extended Clipboard (negative length): the body, for ext-clipboard.ts. */
  | { kind: 'cut-text-ext'; body: Buffer }
  | { kind: 'colour-map' };

export class RfbProtocolError extends Error {
  override name = 'RfbProtocolError';
}

export interface ServerParserLimits {
  maxCutText: number;
  maxCompressedRect: number;
}

const DEFAULT_LIMITS: ServerParserLimits = {
  maxCutText: 1024 * 1024,
  maxCompressedRect: 64 * 1024 * 1024,
};

/**
 * Parses server-to-client RFB messages for a 32 bpp pixel format. Pure: the caller pushes bytes
 * into the queue and pulls events; an event is only returned once all its bytes are queued.
 */
export class RfbServerParser {
  /** Rectangles left in the FramebufferUpdate being read; 0 when between messages. */
  private rectsLeft = 0;
  private inUpdate = false;
  private readonly bpp = 4;

  constructor(
    private readonly q: ByteQueue,
    private readonly limits: ServerParserLimits = DEFAULT_LIMITS,
  ) {}

  next(): RfbServerEvent | undefined {
    if (this.inUpdate) {
      // LastRect may end an update early; otherwise the count does.
      if (this.rectsLeft === 0) {
        this.inUpdate = false;
        return { kind: 'update-end' };
      }
      return this.rect();
    }
    const q = this.q;
    if (q.length < 1) return undefined;
    const type = q.u8(0);
    switch (type) {
      case 0: {
        if (q.length < 4) return undefined;
        const rects = q.u16(2);
        q.skip(4);
        this.inUpdate = true;
        this.rectsLeft = rects;
        return { kind: 'update-begin', rects };
      }
      case 1: {
        if (q.length < 6) return undefined;
        const n = q.u16(4);
        if (q.length < 6 + 6 * n) return undefined;
        q.skip(6 + 6 * n);
        return { kind: 'colour-map' };
      }
      case 2:
        q.skip(1);
        return { kind: 'bell' };
      case 3: {
        if (q.length < 8) return undefined;
        const len = q.peek(8).readInt32BE(4);
        // A negative length is the Extended Clipboard format.
        const size = Math.abs(len);
        if (size > this.limits.maxCutText) throw new RfbProtocolError('cut text too long');
        if (q.length < 8 + size) return undefined;
        const body = q.take(8 + size).subarray(8);
        return len < 0
          ? { kind: 'cut-text-ext', body: Buffer.from(body) }
          : { kind: 'cut-text', text: body.toString('latin1') };
      }
      default:
        throw new RfbProtocolError(`unknown server message type ${type}`);
    }
  }

  private rect(): RfbServerEvent | undefined {
    const q = this.q;
    if (q.length < 12) return undefined;
    const h = q.peek(12);
    const x = h.readUInt16BE(0);
    const y = h.readUInt16BE(2);
    const w = h.readUInt16BE(4);
    const ht = h.readUInt16BE(6);
    const enc = h.readInt32BE(8);
    const body = this.bodyLength(enc, w, ht);
    if (body === undefined) return undefined;
    const b = q.take(12 + body).subarray(12);
    this.rectsLeft--;
    switch (enc) {
      case Encoding.RAW:
        return { kind: 'rect', rect: { kind: 'raw', x, y, w, h: ht, pixels: b } };
      case Encoding.COPY_RECT:
        return {
          kind: 'rect',
          rect: { kind: 'copy', x, y, w, h: ht, srcX: b.readUInt16BE(0), srcY: b.readUInt16BE(2) },
        };
      case Encoding.ZRLE:
      case Encoding.ZLIB:
        return {
          kind: 'rect',
          rect: {
            kind: enc === Encoding.ZRLE ? 'zrle' : 'zlib',
            x,
            y,
            w,
            h: ht,
            zlibData: b.subarray(4),
          },
        };
      case Encoding.CURSOR: {
        const n = w * ht * this.bpp;
        return {
          kind: 'rect',
          rect: {
            kind: 'cursor',
            hotX: x,
            hotY: y,
            w,
            h: ht,
            pixels: b.subarray(0, n),
            mask: b.subarray(n),
          },
        };
      }
      case Encoding.DESKTOP_SIZE:
        return { kind: 'rect', rect: { kind: 'desktop-size', w, h: ht } };
      case Encoding.LAST_RECT:
        this.rectsLeft = 0;
        return this.next();
      case Encoding.EXTENDED_DESKTOP_SIZE: {
        const screens = [];
        for (let i = 0; i < b[0]; i++) {
          const o = 4 + 16 * i;
          screens.push({
            id: b.readUInt32BE(o),
            x: b.readUInt16BE(o + 4),
            y: b.readUInt16BE(o + 6),
            w: b.readUInt16BE(o + 8),
            h: b.readUInt16BE(o + 10),
            flags: b.readUInt32BE(o + 12),
          });
        }
        return {
          kind: 'rect',
          rect: { kind: 'extended-desktop-size', w, h: ht, reason: x, status: y, screens },
        };
      }
      default:
        throw new RfbProtocolError(`unexpected encoding ${enc}`);
    }
  }

  /** Bytes after the 12-byte header, or undefined until enough is queued to know and hold them. */
  private bodyLength(enc: number, w: number, h: number): number | undefined {
    const q = this.q;
    let n: number;
    switch (enc) {
      case Encoding.RAW:
        n = w * h * this.bpp;
        break;
      case Encoding.COPY_RECT:
        n = 4;
        break;
      case Encoding.ZRLE:
      case Encoding.ZLIB: {
        if (q.length < 16) return undefined;
        const len = q.u32(12);
        if (len > this.limits.maxCompressedRect) throw new RfbProtocolError('rect too large');
        n = 4 + len;
        break;
      }
      case Encoding.CURSOR:
        n = w * h * this.bpp + Math.ceil(w / 8) * h;
        break;
      case Encoding.DESKTOP_SIZE:
      case Encoding.LAST_RECT:
        n = 0;
        break;
      case Encoding.EXTENDED_DESKTOP_SIZE:
        if (q.length < 13) return undefined;
        n = 4 + 16 * q.u8(12);
        break;
      default:
        throw new RfbProtocolError(`unexpected encoding ${enc}`);
    }
    return q.length < 12 + n ? undefined : n;
  }
}
