import * as net from 'net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DEFAULT_PARSER_LIMITS, ParserLimits } from './guacamole/parser';
import { GuacError, GuacStatus } from './guacamole/status';
import { encodeInstruction } from './guacamole/encoder';
import { createGatewayMetrics, GatewayMetrics } from './metrics';
import { RfbEncodingName } from './rfb/client';
import { DesktopSession, DisplayTarget } from './session/desktop-session';
import { GuacConnection } from './session/guac-connection';
import { DisplayTicket, verifyTicket } from '@forkdesk/agent-contract';
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
  keepaliveMs?: number;
  maxConnections?: number;
  maxInFlightFrames?: number;
  rfbEncodings?: RfbEncodingName[];
  /** See RefreshBoost; default 250 ms. */
  inputBoostMs?: number;
}

/**
 * The display gateway: a TCP server speaking guacd's protocol (so guacamole-lite can use it as
 * guacd) that bridges each desktop's QEMU VNC socket to Guacamole clients.
 */
export class DisplayGateway {
  readonly metrics: GatewayMetrics;
  private readonly server: net.Server;
  private readonly sessions = new Map<string, Promise<DesktopSession>>();
  private readonly byId = new Map<string, DesktopSession>();
  private readonly live = new Map<string, DesktopSession>();
  private readonly nonces = new NonceCache();
  private readonly sockets = new Set<net.Socket>();
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

  private accept(socket: net.Socket): void {
    const limit = this.opts.maxConnections ?? 256;
    if (this.sockets.size >= limit) {
      socket.on('error', () => undefined);
      socket.end(encodeInstruction('error', 'too many connections', GuacStatus.CLIENT_TOO_MANY));
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    try {
      new GuacConnection(socket, {
        log: this.log,
        metrics: this.metrics,
        parserLimits: this.opts.parserLimits ?? DEFAULT_PARSER_LIMITS,
        handshakeTimeoutMs: this.opts.handshakeTimeoutMs ?? 15_000,
        keepaliveMs: this.opts.keepaliveMs ?? 5_000,
        maxInFlightFrames: this.opts.maxInFlightFrames ?? 2,
        admit: (t, d) => this.admit(t, d),
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
