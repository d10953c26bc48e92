import * as net from 'net';
import { encodeInstruction } from '../gateway/guacamole/encoder';
import { GuacamoleParser, GuacInstruction } from '../gateway/guacamole/parser';
import { decodePng } from './png-decode';
import { RgbImage } from './ppm';

/** A byte pipe to a Guacamole server: a TCP socket to the gateway, or a WebSocket to guacamole-lite. */
export interface GuacTransport {
  send(data: string | Buffer): void;
  close(): void;
  onData(cb: (b: Buffer) => void): void;
  onClose(cb: () => void): void;
}

export function tcpTransport(socket: net.Socket): GuacTransport {
  socket.on('error', () => undefined);
  // Like a browser's WebSocket: no Nagle delay on our small `sync` replies.
  socket.setNoDelay(true);
  return {
    send: (d) => {
      if (!socket.destroyed) socket.write(d);
    },
    close: () => socket.destroy(),
    onData: (cb) => socket.on('data', cb),
    onClose: (cb) => socket.on('close', cb),
  };
}

/**
 * A raw guacd-protocol client for tests: sends instructions, records every instruction received
 * and paints `img`/`copy`/`size` on layer 0 into an RGBA canvas (PNG only).
 */
export class TestGuacClient {
  readonly received: GuacInstruction[] = [];
  closed = false;
  width = 0;
  height = 0;
  canvas = Buffer.alloc(0);
  jpegCount = 0;
  private readonly parser = new GuacamoleParser({
    maxElementLength: 1 << 24,
    maxInstructionBytes: 1 << 25,
    maxElements: 64,
  });
  private readonly streams = new Map<
    string,
    { layer: number; x: number; y: number; mime: string; data: string[] }
  >();
  private waiters: (() => void)[] = [];

  constructor(
    private readonly transport: GuacTransport,
    private readonly autoSync = true,
  ) {
    transport.onData((c: Buffer) => {
      for (const ins of this.parser.feed(c)) this.apply(ins);
      this.wake();
    });
    transport.onClose(() => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, autoSync = true): Promise<TestGuacClient> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(port, '127.0.0.1', () =>
        resolve(new TestGuacClient(tcpTransport(s), autoSync)),
      );
      s.once('error', reject);
    });
  }

  /** select → args → size/audio/video/image/(timezone) → connect with our args. */
  async handshake(
    desktop: string,
    ticket: string,
    version = 'VERSION_1_1_0',
    select = 'vnc',
  ): Promise<void> {
    this.send('select', select);
    await this.waitFor((i) => i.opcode === 'args' || i.opcode === 'error');
    this.send('size', 1024, 768, 96);
    this.send('audio');
    this.send('video');
    this.send('image', 'image/png', 'image/jpeg');
    if (version === 'VERSION_1_1_0') this.send('timezone', 'UTC');
    this.send('connect', version, desktop, ticket);
  }

  send(opcode: string, ...args: (string | number)[]): void {
    this.raw(encodeInstruction(opcode, ...args));
  }

  raw(data: string | Buffer): void {
    this.transport.send(data);
  }

  count(opcode: string): number {
    return this.received.filter((i) => i.opcode === opcode).length;
  }

  async waitFor(
    pred: (i: GuacInstruction) => boolean,
    timeoutMs = 15_000,
    from = 0,
  ): Promise<GuacInstruction> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.slice(from).find(pred);
      if (hit) return hit;
      if (this.closed) throw new Error(`connection closed; got ${this.summary()}`);
      if (Date.now() > end) throw new Error(`timed out; got ${this.summary()}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, end - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  waitClosed(timeoutMs = 10_000): Promise<void> {
    return this.waitFor(() => false, timeoutMs).then(
      () => undefined,
      (e: Error) => {
        if (!this.closed) throw e;
      },
    );
  }

  /** Fraction of canvas pixels equal to the screendump. */
  matches(img: RgbImage): number {
    if (img.width !== this.width || img.height !== this.height) return 0;
    let same = 0;
    for (let i = 0, j = 0; j < img.rgb.length; i += 4, j += 3) {
      if (
        this.canvas[i] === img.rgb[j] &&
        this.canvas[i + 1] === img.rgb[j + 1] &&
        this.canvas[i + 2] === img.rgb[j + 2]
      )
        same++;
    }
    return same / (img.width * img.height);
  }

  /**
   * Waits until the canvas equals a fresh screendump; returns the best fraction seen and that
   * screendump. (The guest's screen may change meanwhile, e.g. a blinking text cursor.)
   */
  async untilMatches(
    dump: () => Promise<RgbImage>,
    timeoutMs = 10_000,
  ): Promise<{ match: number; img: RgbImage }> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const img = await dump();
      const match = this.matches(img);
      if (match === 1 || Date.now() > end) return { match, img };
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  close(): void {
    this.transport.close();
  }

  summary(): string {
    return this.received
      .slice(-8)
      .map((i) => [i.opcode, ...i.args.map((a) => a.slice(0, 40))].join(','))
      .join(' | ');
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private apply(ins: GuacInstruction): void {
    this.received.push(ins);
    const a = ins.args;
    switch (ins.opcode) {
      case 'size':
        if (a[0] === '0') {
          this.width = Number(a[1]);
          this.height = Number(a[2]);
          this.canvas = Buffer.alloc(this.width * this.height * 4);
        }
        break;
      case 'img':
        this.streams.set(a[0], {
          layer: Number(a[2]),
          mime: a[3],
          x: Number(a[4]),
          y: Number(a[5]),
          data: [],
        });
        break;
      case 'blob':
        this.streams.get(a[0])?.data.push(a[1]);
        break;
      case 'end': {
        const s = this.streams.get(a[0]);
        this.streams.delete(a[0]);
        if (!s || s.layer !== 0) break;
        if (s.mime !== 'image/png') {
          this.jpegCount++;
          break;
        }
        const png = decodePng(Buffer.concat(s.data.map((d) => Buffer.from(d, 'base64'))));
        for (let y = 0; y < png.height; y++) {
          png.rgba.copy(
            this.canvas,
            ((s.y + y) * this.width + s.x) * 4,
            y * png.width * 4,
            (y + 1) * png.width * 4,
          );
        }
        break;
      }
      case 'copy': {
        const [, sx, sy, w, h, , , dx, dy] = a.map(Number);
        const tmp = Buffer.alloc(w * h * 4);
        for (let y = 0; y < h; y++)
          this.canvas.copy(
            tmp,
            y * w * 4,
            ((sy + y) * this.width + sx) * 4,
            ((sy + y) * this.width + sx + w) * 4,
          );
        for (let y = 0; y < h; y++)
          tmp.copy(this.canvas, ((dy + y) * this.width + dx) * 4, y * w * 4, (y + 1) * w * 4);
        break;
      }
      case 'sync':
        if (this.autoSync) this.send('sync', a[0]);
        break;
    }
  }
}
