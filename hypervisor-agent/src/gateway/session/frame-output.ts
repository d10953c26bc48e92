import { encodeInstruction } from '../guacamole/encoder';
import { encodeRegion } from '../encode/encoder';
import { encodePngRgba } from '../encode/png';
import { GatewayMetrics } from '../metrics';
import { Framebuffer } from '../rfb/framebuffer';
import { RfbCursor, UpdateOp } from '../rfb/client';
import { Box, DirtyRegion } from './dirty-region';

/** guacd's largest blob payload, in bytes before base64. */
const BLOB_BYTES = 6048;
/** Guacamole's default compositing mode for images: source over destination. */
const COMP_OVER = 14;
const COMP_SRC = 12;
const CURSOR_LAYER = -1;
/** Above this much unsent socket data, frames wait for 'drain' (a slow network, not a slow browser). */
const SOCKET_BACKLOG = 4 * 1024 * 1024;

export interface OutputSink {
  write(s: string): void;
  backlog(): number;
  onDrain(cb: () => void): void;
}

export interface FrameOutputOptions {
  allowJpeg: boolean;
  /** Frames sent but not yet acknowledged by the client's `sync` that we allow. */
  maxInFlight: number;
}

/**
 * The display stream to one client. Damage accumulates in a DirtyRegion; a frame (images, then
 * `sync`) goes out only while fewer than `maxInFlight` frames await the client's `sync` reply,
 * so a slow client gets fewer frames with fresher content instead of a queue.
 */
export class FrameOutput {
  private readonly dirty = new DirtyRegion();
  private copies: string[] = [];
  private inFlight = 0;
  private nextStream = 0;
  private waitingDrain = false;
  private closed = false;

  constructor(
    private readonly sink: OutputSink,
    private readonly fb: () => Framebuffer,
    private readonly metrics: GatewayMetrics,
    private readonly opts: FrameOutputOptions,
  ) {}

  /** The first frame: layer size and the whole screen. */
  start(cursor: RfbCursor | undefined): void {
    const fb = this.fb();
    this.sink.write(encodeInstruction('size', 0, fb.width, fb.height));
    if (cursor) this.cursor(cursor);
    this.dirty.add({ x: 0, y: 0, w: fb.width, h: fb.height });
    this.maybeFlush();
  }

  update(ops: UpdateOp[]): void {
    if (!this.dirty.empty && !this.canFlush()) this.metrics.droppedFrames.inc();
    for (const op of ops) {
      if (op.kind === 'dirty') {
        this.dirty.add(op.rect);
      } else if (this.dirty.intersects(op.src)) {
        // The client's copy source is stale: send the destination's pixels instead.
        this.dirty.add({ x: op.x, y: op.y, w: op.src.w, h: op.src.h });
      } else {
        const s = op.src;
        this.copies.push(encodeInstruction('copy', 0, s.x, s.y, s.w, s.h, COMP_SRC, 0, op.x, op.y));
      }
    }
    this.maybeFlush();
  }

  resize(w: number, h: number): void {
    this.dirty.take();
    this.copies = [];
    this.sink.write(encodeInstruction('size', 0, w, h));
    this.dirty.add({ x: 0, y: 0, w, h });
    this.maybeFlush();
  }

  cursor(c: RfbCursor): void {
    if (c.w === 0 || c.h === 0) return;
    const stream = this.stream();
    this.sink.write(encodeInstruction('size', CURSOR_LAYER, c.w, c.h));
    this.sendImage(
      stream,
      'image/png',
      CURSOR_LAYER,
      0,
      0,
      encodePngRgba(c.rgba, c.w, c.h),
      COMP_SRC,
    );
    this.sink.write(encodeInstruction('cursor', c.hotX, c.hotY, CURSOR_LAYER, 0, 0, c.w, c.h));
  }

  clipboard(text: string): void {
    const stream = this.stream();
    this.sink.write(encodeInstruction('clipboard', stream, 'text/plain'));
    this.blobs(stream, Buffer.from(text, 'utf8'));
    this.sink.write(encodeInstruction('end', stream));
  }

  /** The client's `sync` reply: it has rendered a frame. */
  ack(): void {
    if (this.inFlight > 0) this.inFlight--;
    this.maybeFlush();
  }

  close(): void {
    this.closed = true;
  }

  private canFlush(): boolean {
    return (
      !this.closed && this.inFlight < this.opts.maxInFlight && this.sink.backlog() < SOCKET_BACKLOG
    );
  }

  private maybeFlush(): void {
    if (this.dirty.empty && this.copies.length === 0) return;
    if (!this.canFlush()) {
      if (!this.closed && this.sink.backlog() >= SOCKET_BACKLOG && !this.waitingDrain) {
        this.waitingDrain = true;
        this.sink.onDrain(() => {
          this.waitingDrain = false;
          this.maybeFlush();
        });
      }
      return;
    }
    this.flush();
  }

  private flush(): void {
    const fb = this.fb();
    for (const c of this.copies) this.sink.write(c);
    this.copies = [];
    for (const b of this.dirty.take()) this.sendRegion(fb, clip(b, fb));
    this.sink.write(encodeInstruction('sync', Date.now()));
    this.inFlight++;
    this.metrics.frames.inc();
  }

  private sendRegion(fb: Framebuffer, b: Box): void {
    if (b.w <= 0 || b.h <= 0) return;
    const img = encodeRegion(fb.extract(b.x, b.y, b.w, b.h), b.w, b.h, {
      allowJpeg: this.opts.allowJpeg,
    });
    this.metrics.encodeSeconds.observe(
      { format: img.mime === 'image/png' ? 'png' : 'jpeg' },
      img.ms / 1000,
    );
    this.sendImage(this.stream(), img.mime, 0, b.x, b.y, img.data, COMP_OVER);
  }

  private sendImage(
    stream: number,
    mime: string,
    layer: number,
    x: number,
    y: number,
    data: Buffer,
    mask: number,
  ): void {
    this.sink.write(encodeInstruction('img', stream, mask, layer, mime, x, y));
    this.blobs(stream, data);
    this.sink.write(encodeInstruction('end', stream));
  }

  private blobs(stream: number, data: Buffer): void {
    for (let o = 0; o < data.length; o += BLOB_BYTES) {
      this.sink.write(
        encodeInstruction('blob', stream, data.subarray(o, o + BLOB_BYTES).toString('base64')),
      );
    }
  }

  private stream(): number {
    const s = this.nextStream;
    this.nextStream = (this.nextStream + 1) % 1024;
    return s;
  }
}

function clip(b: Box, fb: Framebuffer): Box {
  const x = Math.max(0, b.x);
  const y = Math.max(0, b.y);
  return { x, y, w: Math.min(fb.width, b.x + b.w) - x, h: Math.min(fb.height, b.y + b.h) - y };
}
