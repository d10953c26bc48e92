import { Client } from 'pg';
import type { Logger } from 'pino';

/**
 * One PostgreSQL connection of its own, outside the pool: for what must not wait behind busy
 * pooled queries (the availability probe) or must stay on one session (the leader's advisory
 * lock). A dropped connection is forgotten and opened again on the next use.
 */
export class DedicatedConnection {
  private client?: Client;

  constructor(
    private readonly url: string,
    private readonly applicationName: string,
    private readonly log: Logger,
    /** Bounds on connecting and on each query (none by default). */
    private readonly timeoutMs?: number,
  ) {}

  /** The open connection, or a new one. */
  async get(): Promise<Client> {
    if (this.client) return this.client;
    const c = new Client({
      connectionString: this.url,
      application_name: this.applicationName,
      connectionTimeoutMillis: this.timeoutMs,
      query_timeout: this.timeoutMs,
    });
    c.on('error', (err) => {
      this.log.warn({ err }, 'dedicated database connection lost');
      if (this.client === c) this.client = undefined;
    });
    await c.connect();
    this.client = c;
    return c;
  }

  /** Resolves when the server answers `SELECT 1` on this connection. */
  async ping(): Promise<void> {
    await (await this.get()).query('SELECT 1');
  }

  /** Closes it (after a failed query, or at shutdown). */
  async drop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
