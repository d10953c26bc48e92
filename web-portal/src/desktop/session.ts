/**
 * One desktop on screen through guacamole-common-js: tunnel, client, input, clipboard, resize
 * and reconnect. The React viewer owns one of these per mounted desktop.
 */
import Guacamole from 'guacamole-common-js';
import type { TunnelGrant } from '@forkdesk/broker-contract';
import { ApiError } from '../api/http';
import { comboEvents, MenuChord } from './keys';
import { Backoff, connectData, retryable, statusMessage, tunnelUrl } from './reconnect';
import { canvasHasContent } from './frame';
import { dpiFor, fitScale, requestedSize, sizeChanged, type Size } from './scale';

export type ViewerPhase = 'connecting' | 'connected' | 'reconnecting' | 'ended' | 'failed';

/** How often a connected display is looked at until it shows a picture. */
const DRAWN_CHECK_MS = 100;

export interface SessionEvents {
  phase(phase: ViewerPhase, detail?: string): void;
  /** The display showed its first picture with content on this connection (not a flat colour). */
  drawn?(): void;
  /** Text the desktop put on its clipboard. */
  clipboard(text: string): void;
  /** Ctrl+Alt+Shift was pressed. */
  menu(): void;
}

export interface SessionOptions {
  /** Shadowing: nothing the viewer does reaches the desktop. */
  readOnly: boolean;
  getTicket(): Promise<TunnelGrant>;
  /** Whether the display shows content yet; by default its canvas, shrunk, is looked at. */
  hasPicture?(display: Guacamole.Display): boolean;
}

const CONNECTED = 3;
const DISCONNECTED = 5;
/** Guacamole.Tunnel.State.CLOSED */
const TUNNEL_CLOSED = 2;

export class DisplaySession {
  private client: Guacamole.Client | null = null;
  private mouse: Guacamole.Mouse | null = null;
  private readonly keyboard: Guacamole.Keyboard | null;
  private readonly chord = new MenuChord();
  private readonly backoff = new Backoff();
  private lastStatus: number | undefined;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private sentSize: Size | null = null;
  private lastClipboard = '';
  private drawnTimer: ReturnType<typeof setInterval> | undefined;
  private readonly scratch = document.createElement('canvas');

  /**
   * @param host focusable element that receives keys and holds the display
   * @param box element whose size the display fits into
   */
  constructor(
    private readonly host: HTMLElement,
    private readonly box: HTMLElement,
    private readonly opts: SessionOptions,
    private readonly events: SessionEvents,
  ) {
    this.keyboard = opts.readOnly ? null : new Guacamole.Keyboard(host);
    if (this.keyboard) {
      this.keyboard.onkeydown = (keysym) => {
        if (this.chord.feed(true, keysym)) {
          this.events.menu();
          this.keyboard?.reset();
          return false;
        }
        this.client?.sendKeyEvent(1, keysym);
        return true;
      };
      this.keyboard.onkeyup = (keysym) => {
        this.chord.feed(false, keysym);
        this.client?.sendKeyEvent(0, keysym);
      };
    }
  }

  start(): void {
    void this.connect();
  }

  private boxSize(): Size {
    return { width: this.box.clientWidth, height: this.box.clientHeight };
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.events.phase(this.backoff.attempts === 0 ? 'connecting' : 'reconnecting');
    let ticket: TunnelGrant;
    try {
      ticket = await this.opts.getTicket();
    } catch (err) {
      // The broker refusing a ticket (desktop gone, not ours, signed out) is final.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
        this.events.phase('ended', err.message || 'The desktop is no longer available.');
        return;
      }
      this.scheduleRetry(undefined);
      return;
    }
    if (this.closed) return;
    this.lastStatus = undefined;
    const tunnel = new Guacamole.WebSocketTunnel(tunnelUrl(window.location, ticket.tunnelPath));
    const client = new Guacamole.Client(tunnel);
    this.client = client;
    const display = client.getDisplay();
    const el = display.getElement();
    el.classList.add('guac-display');
    this.host.replaceChildren(el);

    display.onresize = () => this.rescale();
    tunnel.onerror = (status) => {
      this.lastStatus = status.code;
    };
    // guacamole-common-js does not always report a closed socket as a client disconnect
    // (an agent or broker that died): treat the tunnel closing as the drop it is.
    tunnel.onstatechange = (state) => {
      if (state === TUNNEL_CLOSED && client === this.client && !this.closed) this.dropped(client);
    };
    client.onerror = (status) => {
      this.lastStatus = status.code;
    };
    client.onstatechange = (state) => {
      if (client !== this.client) return;
      if (state === CONNECTED) {
        this.backoff.reset();
        this.events.phase('connected');
        this.rescale();
        this.watchFirstPicture(client);
      } else if (state === DISCONNECTED && !this.closed) {
        this.dropped(client);
      }
    };
    client.onclipboard = (stream, mimetype) => this.readClipboard(stream, mimetype);
    if (!this.opts.readOnly) this.attachMouse(client, el, display);

    const size = requestedSize(this.boxSize(), window.devicePixelRatio);
    this.sentSize = size;
    client.connect(connectData(ticket.token, size, dpiFor(window.devicePixelRatio)));
  }

  /**
   * Reports `drawn` once the connected display shows content (checked on a thumbnail): after
   * each frame the server ends (its sync, once drawn), so the progress lifts with the frame
   * that has the picture, and on a timer as well.
   */
  private watchFirstPicture(client: Guacamole.Client): void {
    clearInterval(this.drawnTimer);
    const display = client.getDisplay();
    let done = false;
    // Stops this connection's watch only: a late frame of an old connection must not end the
    // timer of the one that replaced it.
    const stop = (): void => {
      done = true;
      clearInterval(timer);
      client.onsync = null;
    };
    const check = (): void => {
      if (done) return;
      if (client !== this.client) return stop();
      if (!(this.opts.hasPicture ?? this.canvasPicture)(display)) return;
      stop();
      this.events.drawn?.();
    };
    client.onsync = () => display.flush(check);
    const timer = setInterval(check, DRAWN_CHECK_MS);
    this.drawnTimer = timer;
  }

  private readonly canvasPicture = (display: Guacamole.Display): boolean =>
    canvasHasContent(
      display.getDefaultLayer().getCanvas(),
      display.getWidth(),
      display.getHeight(),
      this.scratch,
    );

  private attachMouse(client: Guacamole.Client, el: HTMLElement, display: Guacamole.Display): void {
    this.mouse = new Guacamole.Mouse(el);
    const mouse = this.mouse;
    mouse.onEach(['mousedown', 'mouseup', 'mousemove'], (e) => {
      if (e.type === 'mousedown') this.host.focus();
      client.sendMouseState((e as Guacamole.Mouse.Event).state, true);
    });
    // The desktop draws its own cursor; use it as the local cursor when the browser allows.
    display.oncursor = (canvas, x, y) => {
      display.showCursor(!mouse.setCursor(canvas, x, y));
    };
  }

  private readClipboard(stream: Guacamole.InputStream, mimetype: string): void {
    if (!mimetype.startsWith('text/')) return;
    const reader = new Guacamole.StringReader(stream);
    let text = '';
    reader.ontext = (chunk) => {
      text += chunk;
    };
    reader.onend = () => {
      this.lastClipboard = text;
      this.events.clipboard(text);
    };
  }

  private dropped(client: Guacamole.Client): void {
    client.onstatechange = null;
    this.mouse = null;
    this.client = null;
    if (!retryable(this.lastStatus)) {
      this.events.phase('ended', statusMessage(this.lastStatus));
      return;
    }
    this.scheduleRetry(this.lastStatus);
  }

  private scheduleRetry(status: number | undefined): void {
    const delay = this.backoff.next();
    if (delay === null) {
      this.events.phase(
        'failed',
        `${statusMessage(status)} Gave up after ${this.backoff.attempts} tries.`,
      );
      return;
    }
    this.events.phase(
      'reconnecting',
      `${statusMessage(status)} Retrying in ${Math.round(delay / 1000)} s…`,
    );
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  /** Try again now, after a failure or end (a fresh ticket is requested). */
  retry(): void {
    clearTimeout(this.retryTimer);
    this.backoff.reset();
    this.client?.disconnect();
    void this.connect();
  }

  /** Fit the display into the box; called on window resize and remote resize. */
  rescale(): void {
    const display = this.client?.getDisplay();
    if (!display) return;
    const box = this.boxSize();
    display.scale(fitScale({ width: display.getWidth(), height: display.getHeight() }, box));
  }

  /** Ask the desktop to match the window (it may refuse: then we only scale). */
  resize(): void {
    this.rescale();
    if (this.opts.readOnly || !this.client) return;
    const want = requestedSize(this.boxSize(), window.devicePixelRatio);
    if (!sizeChanged(this.sentSize, want)) return;
    this.sentSize = want;
    this.client.sendSize(want.width, want.height);
  }

  sendCombo(keys: readonly number[]): void {
    if (this.opts.readOnly || !this.client) return;
    for (const [pressed, keysym] of comboEvents(keys)) this.client.sendKeyEvent(pressed, keysym);
    this.host.focus();
  }

  /** Puts text on the desktop's clipboard (skips what the desktop itself just sent us). */
  sendClipboard(text: string): void {
    if (this.opts.readOnly || !this.client || text === this.lastClipboard) return;
    this.lastClipboard = text;
    const writer = new Guacamole.StringWriter(this.client.createClipboardStream('text/plain'));
    writer.sendText(text);
    writer.sendEnd();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.drawnTimer);
    if (this.keyboard) {
      this.keyboard.onkeydown = null;
      this.keyboard.onkeyup = null;
      this.keyboard.reset();
    }
    this.client?.disconnect();
    this.client = null;
  }
}
