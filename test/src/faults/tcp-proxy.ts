/**
 * A loopback TCP proxy that can be "switched off": pause() cuts every open connection and
 * resets new ones, as a stopped server would look to its clients; resume() forwards again.
 * The fault tests put it between the broker and the shared PostgreSQL, which keeps running.
 */
import * as net from 'net';

export class PausableProxy {
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  private paused = false;

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
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const s of [client, upstream]) {
      this.open.add(s);
      s.on('error', () => undefined); // a cut connection is the point, not a failure
      s.on('close', () => {
        this.open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Cuts every connection; new ones are reset until resume(). */
  pause(): void {
    this.paused = true;
    for (const s of this.open) s.resetAndDestroy();
  }

  resume(): void {
    this.paused = false;
  }

  async close(): Promise<void> {
    this.pause();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
