/**
 * A loopback TCP proxy that can be "switched off": pause() cuts every open connection and
 * resets new ones, as a stopped server would look to its clients; hang() stops forwarding
 * without closing anything, as a network that drops packets looks (calls hang; TCP delivers
 * what waited once the network is back); resume() forwards again.
 * The fault tests put it between the broker and the shared PostgreSQL, which keeps running.
 */
import * as net from 'net';

export class PausableProxy {
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  /** Client ⇄ upstream pairs, re-piped by resume() after hang(). */
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  /** Clients that arrived while hung, connected upstream by resume(). */
  private readonly held = new Set<net.Socket>();
  private paused = false;
  private hung = false;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Listens on a free loopback port in front of host:port. */
  static async start(targetHost: string, targetPort: number): Promise<PausableProxy> {
    const p = new PausableProxy(targetHost, targetPort);
    await new Promise<void>((resolve, reject) => {
      p.server.once('error', reject);
      p.server.listen(0, '127.0.0.1', () => resolve());
    });
    return p;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    if (this.paused) {
      client.resetAndDestroy();
      return;
    }
    if (this.hung) {
      client.pause();
      client.on('error', () => undefined);
      this.held.add(client);
      client.on('close', () => this.held.delete(client));
      return;
    }
    this.forward(client);
  }

  private forward(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    for (const s of pair) {
      this.open.add(s);
      s.on('error', () => undefined); // a cut connection is the point, not a failure
      s.on('close', () => {
        this.open.delete(s);
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  /** Cuts every connection; new ones are reset until resume(). */
  pause(): void {
    this.paused = true;
    for (const s of this.open) s.resetAndDestroy();
    for (const s of this.held) s.resetAndDestroy();
  }

  /** Stops moving bytes either way; connections stay open, new ones wait unanswered. */
  hang(): void {
    this.hung = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  resume(): void {
    this.paused = false;
    if (!this.hung) return;
    this.hung = false;
    for (const [client, upstream] of this.pairs) {
      client.pipe(upstream);
      upstream.pipe(client);
    }
    for (const c of [...this.held]) {
      this.held.delete(c);
      this.forward(c);
    }
  }

  async close(): Promise<void> {
    this.pause();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
