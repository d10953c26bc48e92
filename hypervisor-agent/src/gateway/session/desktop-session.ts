import { randomUUID } from 'crypto';
import type { Logger } from 'pino';
import { GuacError, GuacStatus } from '../guacamole/status';
import { KeyTranslator } from '../keyboard/key-translator';
import { RfbClient, RfbClientOptions, RfbCursor, UpdateOp } from '../rfb/client';
import { LatestOnly } from './latest-only';

/** Where a desktop's display is, and how to resize it when VNC cannot. */
export interface DisplayTarget {
  vncSocket: string;
  /** Sets the guest's resolution itself (e.g. xrandr through the guest agent). */
  resize?: (width: number, height: number) => Promise<void>;
}

/** What a DesktopSession needs from each attached client connection. */
export interface SessionMember {
  readonly user: string;
  readonly mode: 'view' | 'control';
  onUpdate(ops: UpdateOp[]): void;
  onResize(w: number, h: number): void;
  onCursor(c: RfbCursor): void;
  onClipboard(text: string): void;
  onShadow(event: 'joined' | 'left', user: string): void;
  onUpstreamClosed(error?: Error): void;
  /** The gateway ends this member's connection (replaced by a new controller, or revoked). */
  end(reason: GuacError): void;
}

/**
 * One desktop's display: a single RFB connection to the VM, shared by its controlling client(s)
 * and any read-only shadows. Closes the RFB connection when the last member leaves.
 */
export class DesktopSession {
  /** Guacamole connection id (`$uuid`, as guacd names connections); joins select it. */
  readonly connectionId = `$${randomUUID()}`;
  private readonly members = new Set<SessionMember>();
  private cursor?: RfbCursor;
  private closed = false;
  private readonly keys = new KeyTranslator();

  /** Guest-side resizes, latest size only (see DisplayTarget.resize). */
  private readonly guestResize?: LatestOnly<{ w: number; h: number }>;

  private constructor(
    readonly desktopId: string,
    readonly rfb: RfbClient,
    private readonly log: Logger,
    private readonly onEmpty: (s: DesktopSession) => void,
    resize?: DisplayTarget['resize'],
  ) {
    if (resize)
      this.guestResize = new LatestOnly(
        ({ w, h }) => resize(w, h),
        (err) => log.warn({ desktop: desktopId, err: err.message }, 'desktop resize failed'),
      );
    rfb.setListener({
      onUpdate: (ops) => this.each((m) => m.onUpdate(ops)),
      onResize: (w, h) => this.each((m) => m.onResize(w, h)),
      onCursor: (c) => {
        this.cursor = c;
        this.each((m) => m.onCursor(c));
      },
      onCutText: (t) => this.each((m) => m.onClipboard(t)),
      onClose: (e) => {
        this.log.warn({ desktop: desktopId, err: e?.message }, 'desktop display closed');
        this.closed = true;
        this.each((m) => m.onUpstreamClosed(e));
        this.members.clear();
        this.onEmpty(this);
      },
    });
  }

  static async open(
    desktopId: string,
    target: DisplayTarget,
    log: Logger,
    rfbOptions: RfbClientOptions,
    onEmpty: (s: DesktopSession) => void,
  ): Promise<DesktopSession> {
    const rfb = await RfbClient.connect(target.vncSocket, rfbOptions);
    log.info(
      { desktop: desktopId, width: rfb.framebuffer.width, height: rfb.framebuffer.height },
      'desktop display opened',
    );
    return new DesktopSession(desktopId, rfb, log, onEmpty, target.resize);
  }

  /** A controlling client's key press or release, as the character it typed (see KeyTranslator). */
  key(keysym: number, down: boolean): void {
    for (const e of this.keys.translate(keysym, down)) this.rfb.key(e.keysym, e.down);
  }

  /** A controlling client's viewport changed: the guest follows when it can. */
  resize(w: number, h: number): void {
    const fb = this.rfb.framebuffer;
    if (fb.width === w && fb.height === h) return;
    if (this.guestResize) this.guestResize.push({ w, h });
    else this.rfb.resize(w, h);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get lastCursor(): RfbCursor | undefined {
    return this.cursor;
  }

  /** A new controller replaces the previous one (shadows stay): one keyboard per desktop. */
  attach(m: SessionMember): void {
    this.members.add(m);
    if (m.mode === 'view') this.notifyControllers('joined', m.user);
    else
      for (const other of [...this.members])
        if (other !== m && other.mode === 'control')
          other.end(
            new GuacError('the desktop was opened in another window', GuacStatus.SESSION_CONFLICT),
          );
  }

  /** Ends the connections of `user` (every one when undefined); how many were ended. */
  revoke(user?: string): number {
    const ended = [...this.members].filter((m) => user === undefined || m.user === user);
    for (const m of ended)
      m.end(new GuacError('access to this desktop was revoked', GuacStatus.SESSION_CLOSED));
    return ended.length;
  }

  detach(m: SessionMember): void {
    if (!this.members.delete(m)) return;
    if (m.mode === 'view') this.notifyControllers('left', m.user);
    if (this.members.size === 0 && !this.closed) {
      this.closed = true;
      this.rfb.close();
      this.onEmpty(this);
    }
  }

  private notifyControllers(event: 'joined' | 'left', user: string): void {
    this.each((x) => {
      if (x.mode === 'control') x.onShadow(event, user);
    });
  }

  /** One member's failure must not stop the others from getting the event. */
  private each(fn: (m: SessionMember) => void): void {
    for (const m of [...this.members]) {
      try {
        fn(m);
      } catch (e) {
        this.log.error(
          { err: e instanceof Error ? e.message : String(e) },
          'display member failed',
        );
      }
    }
  }
}
