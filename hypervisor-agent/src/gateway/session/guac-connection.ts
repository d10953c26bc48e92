import type { Socket } from 'net';
import type { Logger } from 'pino';
import { encodeInstruction } from '../guacamole/encoder';
import { GuacamoleParser, GuacInstruction, ParserLimits } from '../guacamole/parser';
import { GuacError, GuacStatus } from '../guacamole/status';
import { GatewayMetrics } from '../metrics';
import { RfbCursor, UpdateOp } from '../rfb/client';
import { DisplayTicket } from '@forkdesk/agent-contract';
import { DesktopSession, SessionMember } from './desktop-session';
import { FrameOutput } from './frame-output';

/** What a connection needs from the gateway: ticket checks and desktop sessions. */
export interface ConnectionContext {
  log: Logger;
  metrics: GatewayMetrics;
  parserLimits: ParserLimits;
  handshakeTimeoutMs: number;
  /** Before a valid ticket: shorter, so ticketless connections cannot hold slots long. */
  ticketTimeoutMs: number;
  keepaliveMs: number;
  maxInFlightFrames: number;
  /** Verifies signature, expiry, single use and the desktop; throws GuacError. */
  admit(ticket: string, desktop: string): DisplayTicket;
  /** The desktop's shared session, opened on first use; throws GuacError. */
  session(desktop: string): Promise<DesktopSession>;
  /** The live session with this Guacamole connection id, for `select,$id` joins. */
  sessionById(id: string): DesktopSession | undefined;
}

/** Our `args` reply: the protocol version, then what `connect` must carry. */
const ARG_NAMES = ['desktop', 'ticket'];
const VERSIONS = ['VERSION_1_0_0', 'VERSION_1_1_0'];
const HANDSHAKE_OPCODES = new Set(['size', 'audio', 'video', 'image', 'timezone', 'name']);
const MAX_QUEUED = 256;
const MAX_CLIPBOARD_BYTES = 1024 * 1024;
const MAX_INBOUND_STREAMS = 8;
const INT = /^-?\d{1,10}$/;

type State = 'select' | 'handshake' | 'connecting' | 'open' | 'closed';

/** One client connection speaking guacd's protocol: handshake, then display out and input in. */
export class GuacConnection implements SessionMember {
  private state: State = 'select';
  private readonly parser: GuacamoleParser;
  private joinId?: string;
  private imageTypes: string[] = [];
  private queued: GuacInstruction[] = [];
  private session?: DesktopSession;
  private output?: FrameOutput;
  private ticket?: DisplayTicket;
  private readonly clipboardIn = new Map<string, { chunks: string[]; size: number }>();
  private lastSent = Date.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private log: Logger;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.log = ctx.log;
    this.parser = new GuacamoleParser(ctx.parserLimits);
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.receive(c));
    socket.on('error', (e) => this.log.debug({ err: e.message }, 'client socket error'));
    socket.on('close', () => this.teardown());
    this.timers.push(
      setTimeout(() => {
        if (this.ticket === undefined)
          this.fail(new GuacError('no ticket presented in time', GuacStatus.CLIENT_TIMEOUT));
      }, ctx.ticketTimeoutMs),
      setTimeout(() => {
        if (this.state !== 'open')
          this.fail(new GuacError('handshake timed out', GuacStatus.CLIENT_TIMEOUT));
      }, ctx.handshakeTimeoutMs),
    );
  }

  get user(): string {
    return this.ticket?.user ?? '';
  }

  get mode(): 'view' | 'control' {
    return this.ticket?.mode ?? 'view';
  }

  private receive(chunk: Buffer): void {
    if (this.state === 'closed') return;
    try {
      for (const ins of this.parser.feed(chunk)) {
        if ((this.state as State) === 'closed') return;
        if (this.state === 'connecting') {
          if (this.queued.length >= MAX_QUEUED)
            throw new GuacError('too much input before ready', GuacStatus.CLIENT_OVERRUN);
          this.queued.push(ins);
        } else this.handle(ins);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private handle(ins: GuacInstruction): void {
    switch (this.state) {
      case 'select':
        return this.select(ins);
      case 'handshake':
        return this.handshake(ins);
      case 'open':
        return this.input(ins);
      default:
        return;
    }
  }

  private select(ins: GuacInstruction): void {
    if (ins.opcode !== 'select' || ins.args.length !== 1) {
      throw new GuacError(`expected select, got ${ins.opcode}`, GuacStatus.CLIENT_BAD_REQUEST);
    }
    const target = ins.args[0];
    if (target.startsWith('$')) this.joinId = target;
    else if (target !== 'vnc')
      throw new GuacError(`unsupported protocol ${target}`, GuacStatus.UNSUPPORTED);
    this.state = 'handshake';
    this.send(encodeInstruction('args', VERSIONS[1], ...ARG_NAMES));
  }

  private handshake(ins: GuacInstruction): void {
    if (HANDSHAKE_OPCODES.has(ins.opcode)) {
      if (ins.opcode === 'image') this.imageTypes = ins.args;
      return;
    }
    if (ins.opcode !== 'connect') {
      throw new GuacError(
        `unexpected ${ins.opcode} during handshake`,
        GuacStatus.CLIENT_BAD_REQUEST,
      );
    }
    const [version, desktop, ticket] = ins.args;
    if (ins.args.length !== 1 + ARG_NAMES.length || !VERSIONS.includes(version)) {
      throw new GuacError(
        'connect must carry version, desktop and ticket',
        GuacStatus.CLIENT_BAD_REQUEST,
      );
    }
    if (!desktop || !ticket)
      throw new GuacError('desktop and ticket are required', GuacStatus.CLIENT_UNAUTHORIZED);
    this.ticket = this.ctx.admit(ticket, desktop);
    this.log = this.ctx.log.child({ user: this.ticket.user, desktop, mode: this.ticket.mode });
    this.state = 'connecting';
    void this.open(desktop);
  }

  private async open(desktop: string): Promise<void> {
    try {
      let session: DesktopSession;
      if (this.joinId) {
        const s = this.ctx.sessionById(this.joinId);
        if (!s) throw new GuacError('no such connection to join', GuacStatus.RESOURCE_NOT_FOUND);
        if (s.desktopId !== desktop)
          throw new GuacError('ticket is for another desktop', GuacStatus.CLIENT_FORBIDDEN);
        session = s;
      } else {
        session = await this.ctx.session(desktop);
      }
      if (this.state !== 'connecting') return;
      this.session = session;
      this.output = new FrameOutput(
        {
          write: (s) => this.send(s),
          backlog: () => this.socket.writableLength,
          onDrain: (cb) => this.socket.once('drain', cb),
        },
        () => session.rfb.framebuffer,
        this.ctx.metrics,
        {
          allowJpeg: this.imageTypes.includes('image/jpeg'),
          maxInFlight: this.ctx.maxInFlightFrames,
        },
      );
      session.attach(this);
      this.state = 'open';
      this.ctx.metrics.connections.inc({ mode: this.mode });
      this.ctx.metrics.connectionsTotal.inc({ result: 'ok' });
      this.log.info({ connection: session.connectionId }, 'display connection ready');
      this.send(encodeInstruction('ready', session.connectionId));
      this.send(encodeInstruction('name', session.rfb.name || desktop));
      this.output.start(session.lastCursor);
      this.timers.push(setInterval(() => this.keepalive(), this.ctx.keepaliveMs));
      const queued = this.queued;
      this.queued = [];
      for (const ins of queued) {
        if (this.state !== 'open') return;
        this.handle(ins);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private input(ins: GuacInstruction): void {
    const a = ins.args;
    const control = this.mode === 'control';
    switch (ins.opcode) {
      case 'sync':
        this.output?.ack();
        return;
      case 'mouse':
        if (a.length < 3 || !a.slice(0, 3).every((v) => INT.test(v))) throw bad('mouse');
        this.counted('mouse', control);
        if (control) this.session?.rfb.pointer(Number(a[0]), Number(a[1]), Number(a[2]));
        return;
      case 'key':
        if (a.length !== 2 || !INT.test(a[0]) || !INT.test(a[1])) throw bad('key');
        this.counted('key', control);
        if (control) this.session?.key(Number(a[0]), a[1] === '1');
        return;
      case 'size':
        if (a.length < 2 || !INT.test(a[0]) || !INT.test(a[1])) throw bad('size');
        if (control) this.resize(Number(a[0]), Number(a[1]));
        return;
      case 'clipboard':
        return this.clipboardStart(a);
      case 'blob':
        return this.clipboardBlob(a);
      case 'end':
        return this.clipboardEnd(a);
      case 'disconnect':
        this.close();
        return;
      // The empty opcode carries tunnel-internal messages (guacamole-common-js's `ping`).
      case '':
      case 'nop':
      case 'ack':
      case 'touch':
        return;
      default:
        throw new GuacError(`unknown instruction ${ins.opcode}`, GuacStatus.CLIENT_BAD_REQUEST);
    }
  }

  private resize(w: number, h: number): void {
    if (w < 64 || h < 64 || w > 8192 || h > 8192) return;
    this.session?.resize(w, h);
  }

  private clipboardStart(a: string[]): void {
    if (a.length !== 2) throw bad('clipboard');
    const [stream, mime] = a;
    if (!mime.startsWith('text/') || this.clipboardIn.size >= MAX_INBOUND_STREAMS) {
      this.send(
        encodeInstruction('ack', stream, 'Unsupported clipboard type', GuacStatus.UNSUPPORTED),
      );
      return;
    }
    this.clipboardIn.set(stream, { chunks: [], size: 0 });
    this.send(encodeInstruction('ack', stream, 'OK', GuacStatus.SUCCESS));
  }

  private clipboardBlob(a: string[]): void {
    if (a.length !== 2) throw bad('blob');
    const s = this.clipboardIn.get(a[0]);
    if (!s) return;
    s.size += a[1].length;
    if (s.size > MAX_CLIPBOARD_BYTES)
      throw new GuacError('clipboard too large', GuacStatus.CLIENT_OVERRUN);
    s.chunks.push(a[1]);
    this.send(encodeInstruction('ack', a[0], 'OK', GuacStatus.SUCCESS));
  }

  private clipboardEnd(a: string[]): void {
    if (a.length !== 1) throw bad('end');
    const s = this.clipboardIn.get(a[0]);
    if (!s) return;
    this.clipboardIn.delete(a[0]);
    const text = Buffer.concat(s.chunks.map((c) => Buffer.from(c, 'base64'))).toString('utf8');
    if (this.mode === 'control') this.session?.rfb.cutText(text);
  }

  private keepalive(): void {
    if (Date.now() - this.lastSent >= this.ctx.keepaliveMs) this.send(encodeInstruction('nop'));
  }

  private send(s: string): void {
    if (this.state === 'closed' || this.socket.destroyed) return;
    this.lastSent = Date.now();
    this.ctx.metrics.bytes.inc(Buffer.byteLength(s));
    this.socket.write(s);
  }

  private counted(kind: 'key' | 'mouse', forwarded: boolean): void {
    this.ctx.metrics.input.inc({ kind, result: forwarded ? 'forwarded' : 'dropped' });
  }

  /** Ends the connection with a Guacamole error instruction. Never throws. */
  fail(e: unknown): void {
    if (this.state === 'closed') return;
    const err =
      e instanceof GuacError ? e : new GuacError('internal error', GuacStatus.SERVER_ERROR);
    if (!(e instanceof GuacError))
      this.log.error(
        { err: e instanceof Error ? e.stack : String(e) },
        'display connection failed',
      );
    else this.log.info({ status: err.status, reason: err.message }, 'display connection refused');
    if (this.state !== 'open') this.ctx.metrics.connectionsTotal.inc({ result: 'refused' });
    this.ctx.metrics.errors.inc({ status: `0x${err.status.toString(16).padStart(4, '0')}` });
    this.send(encodeInstruction('error', err.message, err.status));
    this.close();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.teardown();
    this.socket.end();
    // A client that never reads must not hold the socket open.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private teardown(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') this.ctx.metrics.connections.dec({ mode: this.mode });
    this.state = 'closed';
    for (const t of this.timers) clearTimeout(t);
    this.output?.close();
    this.session?.detach(this);
  }

  // SessionMember: events from the shared desktop session.
  onUpdate(ops: UpdateOp[]): void {
    this.guard(() => this.output?.update(ops));
  }

  onResize(w: number, h: number): void {
    this.guard(() => this.output?.resize(w, h));
  }

  onCursor(c: RfbCursor): void {
    this.guard(() => this.output?.cursor(c));
  }

  onClipboard(text: string): void {
    this.guard(() => this.output?.clipboard(text));
  }

  onShadow(event: 'joined' | 'left', user: string): void {
    // Guacamole `msg`: USER_JOINED (0x0001) / USER_LEFT (0x0002) with the user's name.
    this.guard(() => this.send(encodeInstruction('msg', event === 'joined' ? 1 : 2, user)));
  }

  end(reason: GuacError): void {
    this.fail(reason);
  }

  onUpstreamClosed(): void {
    this.session = undefined;
    this.fail(new GuacError('the desktop display closed', GuacStatus.UPSTREAM_ERROR));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.fail(e);
    }
  }
}

function bad(what: string): GuacError {
  return new GuacError(`malformed ${what} instruction`, GuacStatus.CLIENT_BAD_REQUEST);
}
