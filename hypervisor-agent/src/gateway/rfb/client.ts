import * as net from 'net';
import { ByteQueue } from './byte-queue';
import { Framebuffer } from './framebuffer';
import { RfbHandshake, ServerInit } from './handshake';
import {
  EXT_CLIPBOARD_ENCODING,
  ExtClipboardMessage,
  extCaps,
  extNotifyText,
  extProvideText,
  extRequestText,
  parseExtClipboard,
} from './ext-clipboard';
import { Inflater } from './inflater';
import { RefreshBoost } from './refresh-boost';
import {
  clientCutText,
  Encoding,
  framebufferUpdateRequest,
  keyEvent,
  pointerEvent,
  setDesktopSize,
  setEncodings,
  setPixelFormat,
} from './messages';
import { BGRX } from './pixel-format';
import { RfbProtocolError, RfbRect, RfbServerParser } from './server-messages';
import { decodeZrle } from './zrle';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** What one FramebufferUpdate changed, in order: copies must be replayed before later draws. */
export type UpdateOp =
  { kind: 'dirty'; rect: Rect } | { kind: 'copy'; src: Rect; x: number; y: number };

export interface RfbCursor {
  hotX: number;
  hotY: number;
  w: number;
  h: number;
  /** RGBA, alpha from the cursor's bitmask. */
  rgba: Buffer;
}

export interface RfbListener {
  onUpdate(ops: UpdateOp[]): void;
  onResize(width: number, height: number): void;
  onCursor(cursor: RfbCursor): void;
  onCutText(text: string): void;
  onClose(error?: Error): void;
}

export type RfbEncodingName = 'raw' | 'zrle' | 'zlib';

export interface RfbClientOptions {
  /** Preferred pixel encodings, best first. CopyRect and the pseudo-encodings are always asked for. */
  encodings?: RfbEncodingName[];
  connectTimeoutMs?: number;
  /** How long after input to keep QEMU's refresh timer at its base (see RefreshBoost); 0: off. */
  inputBoostMs?: number;
}

const ENCODING_NUMBER: Record<RfbEncodingName, number> = {
  raw: Encoding.RAW,
  zrle: Encoding.ZRLE,
  zlib: Encoding.ZLIB,
};

/** Largest clipboard text taken from or offered to the server (bytes). */
const MAX_CLIPBOARD = 1024 * 1024;

/** An RFB 3.8 client on a unix socket (QEMU's `-vnc unix:`), keeping a local framebuffer. */
export class RfbClient {
  readonly framebuffer: Framebuffer;
  name: string;
  /** Set once the server has shown it understands SetDesktopSize. */
  private screenId: number | undefined;
  private readonly q = new ByteQueue();
  private readonly parser: RfbServerParser;
  private readonly zrle = new Inflater();
  private readonly zlib = new Inflater();
  private ops: UpdateOp[] = [];
  private pumping = false;
  private closed = false;
  private listener?: RfbListener;
  /** When the latest FramebufferUpdate began arriving (for latency measurements). */
  lastUpdateAt = 0;
  private lastPointer?: Buffer;
  /** The server sent Extended Clipboard caps: cut text goes both ways in UTF-8. */
  private extClipboardOn = false;
  private clipboardText?: string;
  private readonly boost: RefreshBoost;

  private constructor(
    private readonly socket: net.Socket,
    init: ServerInit,
    inputBoostMs: number,
  ) {
    this.framebuffer = new Framebuffer(init.width, init.height);
    this.name = init.name;
    this.parser = new RfbServerParser(this.q);
    this.boost = new RefreshBoost(() => {
      if (this.lastPointer) this.send(this.lastPointer);
    }, inputBoostMs);
  }

  static connect(path: string, options: RfbClientOptions = {}): Promise<RfbClient> {
    const encodings = options.encodings ?? ['zrle', 'raw'];
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(path);
      const q = new ByteQueue();
      const hs = new RfbHandshake(q);
      const timer = setTimeout(
        () => fail(new Error('RFB handshake timed out')),
        options.connectTimeoutMs ?? 10_000,
      );
      const fail = (e: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      const onData = (chunk: Buffer): void => {
        q.push(chunk);
        try {
          for (;;) {
            const step = hs.step();
            if (step.kind === 'need-more') return;
            if (step.kind === 'send') {
              socket.write(step.bytes);
              continue;
            }
            clearTimeout(timer);
            socket.off('data', onData);
            socket.off('error', fail);
            socket.off('close', onEarlyClose);
            const client = new RfbClient(socket, step.init, options.inputBoostMs ?? 0);
            client.start(encodings, q);
            resolve(client);
            return;
          }
        } catch (e) {
          fail(e instanceof Error ? e : new Error(String(e)));
        }
      };
      const onEarlyClose = (): void => fail(new Error('RFB server closed during handshake'));
      socket.on('data', onData);
      socket.on('error', fail);
      socket.on('close', onEarlyClose);
    });
  }

  /** Attaches the listener; events before this are kept in the framebuffer only. */
  setListener(l: RfbListener): void {
    this.listener = l;
  }

  key(keysym: number, down: boolean): void {
    this.send(keyEvent(keysym, down));
    this.boost.onInput();
  }

  pointer(x: number, y: number, buttons: number): void {
    this.lastPointer = pointerEvent(x, y, buttons);
    this.send(this.lastPointer);
    this.boost.onInput();
  }

  /** The client's clipboard changed: UTF-8 when the server speaks Extended Clipboard. */
  cutText(text: string): void {
    if (!this.extClipboardOn) {
      this.send(clientCutText(text));
      return;
    }
    // Announce, then provide at once: QEMU takes data from the peer that owns the clipboard.
    this.clipboardText = text;
    this.send(extNotifyText());
    this.send(extProvideText(text));
  }

  private extClipboard(m: ExtClipboardMessage): void {
    if (!m.text) return;
    switch (m.action) {
      case 'caps':
        this.extClipboardOn = true;
        this.send(extCaps(MAX_CLIPBOARD));
        return;
      case 'notify':
        this.send(extRequestText());
        return;
      case 'provide':
        if (m.data !== undefined) this.listener?.onCutText(m.data);
        return;
      case 'request':
        if (this.clipboardText !== undefined) this.send(extProvideText(this.clipboardText));
        return;
      case 'peek':
        if (this.clipboardText !== undefined) this.send(extNotifyText());
        return;
    }
  }

  /** Asks the server to resize; false when it has not shown support for it. */
  resize(w: number, h: number): boolean {
    if (this.screenId === undefined) return false;
    this.send(setDesktopSize(w, h, this.screenId));
    return true;
  }

  /** Requests a full (non-incremental) update, e.g. for a newly joined viewer. */
  refresh(): void {
    const fb = this.framebuffer;
    this.send(framebufferUpdateRequest(false, 0, 0, fb.width, fb.height));
  }

  close(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.finish();
  }

  private start(encodings: RfbEncodingName[], early: ByteQueue): void {
    const s = this.socket;
    s.setNoDelay?.(true);
    this.send(setPixelFormat(BGRX));
    this.send(
      setEncodings([
        ...encodings.map((e) => ENCODING_NUMBER[e]),
        Encoding.COPY_RECT,
        Encoding.DESKTOP_SIZE,
        Encoding.EXTENDED_DESKTOP_SIZE,
        Encoding.CURSOR,
        Encoding.LAST_RECT,
        EXT_CLIPBOARD_ENCODING,
      ]),
    );
    this.refresh();
    s.on('data', (c: Buffer) => this.receive(c));
    s.on('error', (e: Error) => this.finish(e));
    s.on('close', () => this.finish(new Error('RFB server closed the connection')));
    if (early.length > 0) this.receive(early.take(early.length));
  }

  private send(b: Buffer): void {
    if (!this.closed) this.socket.write(b);
  }

  private receive(chunk: Buffer): void {
    this.q.push(chunk);
    if (!this.pumping) void this.pump();
  }

  /** Applies queued server messages in order; awaits only for compressed rectangles. */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.closed) {
        const ev = this.parser.next();
        if (!ev) break;
        switch (ev.kind) {
          case 'update-begin':
            this.lastUpdateAt = performance.now();
            this.ops = [];
            break;
          case 'rect':
            await this.applyRect(ev.rect);
            break;
          case 'update-end': {
            // Ask for the next update at once so one is always outstanding.
            const fb = this.framebuffer;
            this.send(framebufferUpdateRequest(true, 0, 0, fb.width, fb.height));
            const ops = this.ops;
            this.ops = [];
            if (ops.length > 0) this.listener?.onUpdate(ops);
            break;
          }
          case 'cut-text':
            this.listener?.onCutText(ev.text);
            break;
          case 'cut-text-ext':
            this.extClipboard(parseExtClipboard(ev.body, MAX_CLIPBOARD));
            break;
          case 'bell':
          case 'colour-map':
            break;
        }
      }
    } catch (e) {
      this.socket.destroy();
      this.finish(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.pumping = false;
    }
  }

  private async applyRect(r: RfbRect): Promise<void> {
    const fb = this.framebuffer;
    switch (r.kind) {
      case 'raw':
        this.checkBounds(r);
        fb.putPixels(r.x, r.y, r.w, r.h, r.pixels);
        this.ops.push({ kind: 'dirty', rect: { x: r.x, y: r.y, w: r.w, h: r.h } });
        return;
      case 'zlib': {
        this.checkBounds(r);
        const px = await this.zlib.inflate(r.zlibData);
        if (px.length !== r.w * r.h * 4) throw new RfbProtocolError('zlib rect has wrong size');
        fb.putPixels(r.x, r.y, r.w, r.h, px);
        this.ops.push({ kind: 'dirty', rect: { x: r.x, y: r.y, w: r.w, h: r.h } });
        return;
      }
      case 'zrle': {
        this.checkBounds(r);
        decodeZrle(await this.zrle.inflate(r.zlibData), r.x, r.y, r.w, r.h, fb);
        this.ops.push({ kind: 'dirty', rect: { x: r.x, y: r.y, w: r.w, h: r.h } });
        return;
      }
      case 'copy':
        this.checkBounds(r);
        this.checkBounds({ x: r.srcX, y: r.srcY, w: r.w, h: r.h });
        fb.copy(r.srcX, r.srcY, r.x, r.y, r.w, r.h);
        this.ops.push({
          kind: 'copy',
          src: { x: r.srcX, y: r.srcY, w: r.w, h: r.h },
          x: r.x,
          y: r.y,
        });
        return;
      case 'cursor':
        this.listener?.onCursor({
          hotX: r.hotX,
          hotY: r.hotY,
          w: r.w,
          h: r.h,
          rgba: cursorRgba(r),
        });
        return;
      case 'extended-desktop-size':
        if (r.screens.length > 0) this.screenId = r.screens[0].id;
        // A refused SetDesktopSize (reason 1 = this client, status ≠ 0) changes nothing.
        if (r.reason === 1 && r.status !== 0) return;
        this.applySize(r.w, r.h);
        return;
      case 'desktop-size':
        this.applySize(r.w, r.h);
        return;
    }
  }

  private applySize(w: number, h: number): void {
    const fb = this.framebuffer;
    if (w === fb.width && h === fb.height) return;
    fb.resize(w, h);
    this.ops = [];
    this.listener?.onResize(w, h);
  }

  private checkBounds(r: Rect): void {
    if (!this.framebuffer.contains(r.x, r.y, r.w, r.h)) {
      throw new RfbProtocolError('rectangle outside the framebuffer');
    }
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.boost.stop();
    this.zrle.close();
    this.zlib.close();
    this.listener?.onClose(error);
  }
}

/** Cursor pixels (BGRX) plus its 1-bit mask → RGBA. */
export function cursorRgba(c: { w: number; h: number; pixels: Buffer; mask: Buffer }): Buffer {
  const out = Buffer.alloc(c.w * c.h * 4);
  const maskRow = Math.ceil(c.w / 8);
  for (let y = 0; y < c.h; y++) {
    for (let x = 0; x < c.w; x++) {
      const s = (y * c.w + x) * 4;
      out[s] = c.pixels[s + 2];
      out[s + 1] = c.pixels[s + 1];
      out[s + 2] = c.pixels[s];
      out[s + 3] = (c.mask[y * maskRow + (x >> 3)] >> (7 - (x & 7))) & 1 ? 255 : 0;
    }
  }
  return out;
}
