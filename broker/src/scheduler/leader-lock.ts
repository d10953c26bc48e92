import type { Client } from 'pg';
import type { Logger } from 'pino';
import { DedicatedConnection } from '../common/dedicated-connection';

/** The scheduler's advisory lock key (a constant, so every broker asks for the same lock). */
export const SCHEDULER_LOCK_KEY = 724_715_001;

/**
 * Leadership among brokers: a session-level PostgreSQL advisory lock held on a dedicated
 * connection (never a pooled one, which would hand the lock to whoever runs next). Each
 * check asks the server whether this very session still holds it; after the connection
 * drops, leadership is gone until a new connection wins the lock again.
 */
export class LeaderLock {
  private readonly conn: DedicatedConnection;

  constructor(
    url: string,
    private readonly log: Logger,
    private readonly key = SCHEDULER_LOCK_KEY,
  ) {
    // A dropped connection loses the lock with it; the next check reconnects and asks again.
    this.conn = new DedicatedConnection(url, 'forkdesk-broker-leader', log);
  }

  /** True when this broker leads now (taking the lock if it is free). */
  async ensure(): Promise<boolean> {
    try {
      const c = await this.conn.get();
      if (await this.holds(c)) return true;
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [this.key]);
      if (r.rows[0].ok) this.log.info('scheduler leadership taken');
      return r.rows[0].ok;
    } catch (err) {
      this.log.warn({ err }, 'leader lock check failed; not leading');
      await this.conn.drop();
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

  /** Gives leadership up (shutdown). */
  async release(): Promise<void> {
    await this.conn.drop();
  }
}
