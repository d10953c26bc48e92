import { Client } from 'pg';
import type { Logger } from 'pino';

/** The scheduler's advisory lock key (a constant, so every broker asks for the same lock). */
export const SCHEDULER_LOCK_KEY = 724_715_001;

/**
 * Leadership among brokers: a session-level PostgreSQL advisory lock held on a dedicated
 * connection (never a pooled one, which would hand the lock to whoever runs next). Each
 * check asks the server whether this very session still holds it; after the connection
 * drops, leadership is gone until a new connection wins the lock again.
 */
export class LeaderLock {
  private client?: Client;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly key = SCHEDULER_LOCK_KEY,
  ) {}

  /** True when this broker leads now (taking the lock if it is free). */
  async ensure(): Promise<boolean> {
    try {
      const c = await this.connection();
      if (await this.holds(c)) return true;
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [this.key]);
      if (r.rows[0].ok) this.log.info('scheduler leadership taken');
      return r.rows[0].ok;
    } catch (err) {
      this.log.warn({ err }, 'leader lock check failed; not leading');
      await this.drop();
      return false;
    }
  }

  private async holds(c: Client): Promise<boolean> {
    const r = await c.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
          AND pid = pg_backend_pid() AND classid = 0 AND objid = $1 AND objsubid = 1) AS held`,
      [this.key],
    );
    return r.rows[0].held;
  }

  private async connection(): Promise<Client> {
    if (this.client) return this.client;
    const c = new Client({
      connectionString: this.url,
      application_name: 'forkdesk-broker-leader',
    });
    // A dropped connection loses the lock with it: forget it, reconnect on the next check.
    c.on('error', (err) => {
      this.log.warn({ err }, 'leader connection lost');
      if (this.client === c) this.client = undefined;
    });
    await c.connect();
    this.client = c;
    return c;
  }

  private async drop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  /** Gives leadership up (shutdown). */
  async release(): Promise<void> {
    await this.drop();
  }
}
