import * as net from 'net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DisplayControl } from './display-control';
import { DEFAULT_PARSER_LIMITS, ParserLimits } from './guacamole/parser';
import { GuacError, GuacStatus } from './guacamole/status';
import { encodeInstruction } from './guacamole/encoder';
import { createGatewayMetrics, GatewayMetrics } from './metrics';
import { RfbEncodingName } from './rfb/client';
import { DesktopSession, DisplayTarget } from './session/desktop-session';
import { GuacConnection } from './session/guac-connection';
import { DisplayTicket, verifyTicket } from '@forkdesk/agent-contract';
import { Revocations } from './ticket/revocations';
import { NonceCache } from './ticket/nonce-cache';

/** Maps a desktop id to its VNC unix socket; the fork engine implements it (child → vncSocket). */
export interface DesktopResolver {
  resolve(desktopId: string): Promise<DisplayTarget | undefined>;
}

export interface GatewayOptions {
  resolver: DesktopResolver;
  /** The agent's display key (HMAC-SHA256): bytes, or base64 as enrollment hands it out. */
  ticketSecret: Buffer | string;
  logger: Logger;
  registry: Registry;
  parserLimits?: ParserLimits;
  handshakeTimeoutMs?: number;
  /** A connection must present a valid ticket this soon (default 5 s). */
  ticketTimeoutMs?: number;
  keepaliveMs?: number;
  maxConnections?: number;
  /** Connections one address may hold open before presenting a ticket (default 64). */
  maxPendingPerSource?: number;
  maxInFlightFrames?: number;
  rfbEncodings?: RfbEncodingName[];
  /** See RefreshBoost; default 250 ms. */
  inputBoostMs?: number;
}

/**
 * The display gateway: a TCP server speaking guacd's protocol (so guacamole-lite can use it as
 * guacd) that bridges each desktop's QEMU VNC socket to Guacamole clients.
 */
export class DisplayGateway implements DisplayControl {
  readonly metrics: GatewayMetrics;
  private readonly server: net.Server;
  private readonly sessions = new Map<string, Promise<DesktopSession>>();
  private readonly byId = new Map<string, DesktopSession>();
  private readonly live = new Map<string, DesktopSession>();
  private readonly nonces = new NonceCache();
  private readonly revocations = new Revocations();
  private readonly sockets = new Set<net.Socket>();
  /** Connections without a ticket yet, per remote address. */
  private readonly pending = new Map<string, number>();
  private readonly log: Logger;

  constructor(private readonly opts: GatewayOptions) {
    this.log = opts.logger.child({ component: 'gateway' });
    this.metrics = createGatewayMetrics(opts.registry);
    this.server = net.createServer((s) => this.accept(s));
    this.server.on('error', (e) => this.log.error({ err: e.message }, 'gateway server error'));
  }

  /** Listens (loopback by default); resolves to the bound port. */
  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address() as net.AddressInfo;
        this.log.info({ host, port: addr.port }, 'display gateway listening');
        resolve(addr.port);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const s of this.byId.values()) s.rfb.close();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  get sessionCount(): number {
    return this.byId.size;
  }

  /**
   * Ends the display connections to `desktop` (of `user` only, when given) and refuses the
   * tickets issued for it before now; how many connections were ended.
   */
  revoke(desktop: string, user?: string): number {
    this.revocations.revoke(desktop, user);
    const s = this.live.get(desktop);
    const n = s ? s.revoke(user) : 0;
    this.log.info({ desktop, user, connections: n }, 'display access revoked');
    return n;
  }

  private accept(socket: net.Socket): void {
    const limit = this.opts.maxConnections ?? 256;
    const source = socket.remoteAddress ?? '';
    const waiting = this.pending.get(source) ?? 0;
    if (this.sockets.size >= limit || waiting >= (this.opts.maxPendingPerSource ?? 64)) {
      socket.on('error', () => undefined);
      socket.end(encodeInstruction('error', 'too many connections', GuacStatus.CLIENT_TOO_MANY));
      return;
    }
    this.sockets.add(socket);
    this.pending.set(source, waiting + 1);
    let ticketless = true;
    const admitted = (): void => {
      if (!ticketless) return;
      ticketless = false;
      const n = (this.pending.get(source) ?? 1) - 1;
      if (n > 0) this.pending.set(source, n);
      else this.pending.delete(source);
    };
    socket.on('close', () => {
      this.sockets.delete(socket);
      admitted();
    });
    try {
      new GuacConnection(socket, {
        log: this.log,
        metrics: this.metrics,
        parserLimits: this.opts.parserLimits ?? DEFAULT_PARSER_LIMITS,
        handshakeTimeoutMs: this.opts.handshakeTimeoutMs ?? 15_000,
        ticketTimeoutMs: this.opts.ticketTimeoutMs ?? 5_000,
        keepaliveMs: this.opts.keepaliveMs ?? 5_000,
        maxInFlightFrames: this.opts.maxInFlightFrames ?? 2,
        admit: (t, d) => {
          const ticket = this.admit(t, d);
          admitted();
          return ticket;
        },
        session: (d) => this.session(d),
        sessionById: (id) => this.byId.get(id),
      });
    } catch (e) {
      this.log.error({ err: e instanceof Error ? e.message : String(e) }, 'could not accept');
      socket.destroy();
    }
  }

  private admit(token: string, desktop: string): DisplayTicket {
    const check = verifyTicket(token, this.opts.ticketSecret);
    if (!check.ok)
      throw new GuacError(`ticket rejected: ${check.reason}`, GuacStatus.CLIENT_UNAUTHORIZED);
    const t = check.ticket;
    if (!this.nonces.use(t.nonce, t.exp)) {
      throw new GuacError('ticket already used', GuacStatus.CLIENT_UNAUTHORIZED);
    }
    if (t.desktop !== desktop)
      throw new GuacError('ticket is for another desktop', GuacStatus.CLIENT_FORBIDDEN);
    if (this.revocations.isRevoked(t))
      throw new GuacError('ticket was revoked', GuacStatus.CLIENT_UNAUTHORIZED);
    return t;
  }

  /** The desktop's shared session; concurrent first connections share one RFB connection. */
  private session(desktop: string): Promise<DesktopSession> {
    const existing = this.sessions.get(desktop);
    if (existing) return existing;
    const p = this.openSession(desktop);
    this.sessions.set(desktop, p);
    p.catch(() => this.sessions.delete(desktop));
    return p;
  }

  private async openSession(desktop: string): Promise<DesktopSession> {
    const target = await this.opts.resolver.resolve(desktop);
    if (!target) throw new GuacError('no such desktop', GuacStatus.UPSTREAM_NOT_FOUND);
    let s: DesktopSession;
    try {
      s = await DesktopSession.open(
        desktop,
        target,
        this.log,
        { encodings: this.opts.rfbEncodings, inputBoostMs: this.opts.inputBoostMs ?? 250 },
        (gone) => {
          this.byId.delete(gone.connectionId);
          if (this.live.get(desktop) === gone) {
            this.live.delete(desktop);
            this.sessions.delete(desktop);
          }
        },
      );
    } catch (e) {
      this.log.warn(
        { desktop, err: e instanceof Error ? e.message : String(e) },
        'desktop display unreachable',
      );
      throw new GuacError('desktop display unavailable', GuacStatus.UPSTREAM_UNAVAILABLE);
    }
    this.live.set(desktop, s);
    this.byId.set(s.connectionId, s);
    return s;
  }
}
