import { Injectable } from '@nestjs/common';
import { AuthSession, User } from '@forkdesk/db';
import { DataSource, type EntityManager } from 'typeorm';
import type { SessionUser } from '../common/session-user';

/** A live session found by its token's hash, with its user. */
export interface SessionRow {
  sessionId: string;
  lastSeenAt: Date;
  user: SessionUser;
}

interface SessionUserRow {
  session_id: string;
  last_seen_at: Date;
  id: string;
  username: string;
  display_name: string;
  role: User['role'];
}

const toSession = (r: SessionUserRow): SessionRow => ({
  sessionId: r.session_id,
  lastSeenAt: r.last_seen_at,
  user: { id: r.id, username: r.username, displayName: r.display_name, role: r.role },
});

/** Login sessions (auth_sessions) and the failed-login count on users. */
@Injectable()
export class AuthRepository {
  constructor(private readonly ds: DataSource) {}

  async insertSession(
    tx: EntityManager,
    s: { tokenHash: string; userId: string; strategy: string; ip: string | null; expiresAt: Date },
  ): Promise<void> {
    await tx.insert(AuthSession, s);
  }

  /** The unexpired session of an enabled user with this token hash. */
  async findSession(tokenHash: string): Promise<SessionRow | null> {
    const rows = (await this.ds.query(
      `SELECT s.id AS session_id, s.last_seen_at, u.id, u.username, u.display_name, u.role
         FROM auth_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled`,
      [tokenHash],
    )) as SessionUserRow[];
    return rows[0] ? toSession(rows[0]) : null;
  }

  async touchSession(sessionId: string): Promise<void> {
    await this.ds.query(`UPDATE auth_sessions SET last_seen_at = now() WHERE id = $1`, [sessionId]);
  }

  async deleteSession(tx: EntityManager, sessionId: string): Promise<void> {
    await tx.delete(AuthSession, { id: sessionId });
  }

  async deleteSessionsOf(tx: EntityManager, userId: string, keep?: string): Promise<void> {
    const qb = tx
      .createQueryBuilder()
      .delete()
      .from(AuthSession)
      .where('user_id = :userId', { userId });
    if (keep) qb.andWhere('id <> :keep', { keep });
    await qb.execute();
  }

  /** Deletes expired sessions; returns how many. */
  async purgeExpired(): Promise<number> {
    const r = (await this.ds.query(`DELETE FROM auth_sessions WHERE expires_at <= now()`)) as [
      unknown,
      number,
    ];
    return r[1] ?? 0;
  }

  /**
   * Counts a failed login; the `max`th in a row locks the account for `lockoutMin` (and
   * starts the count again). Returns the lock's end, if any.
   */
  async countFailedLogin(
    tx: EntityManager,
    userId: string,
    max: number,
    lockoutMin: number,
  ): Promise<Date | null> {
    const rows = (await tx.query(
      `UPDATE users SET
         failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
         locked_until = CASE WHEN failed_logins + 1 >= $2
                             THEN now() + make_interval(mins => $3) ELSE locked_until END
       WHERE id = $1 RETURNING locked_until`,
      [userId, max, lockoutMin],
    )) as [{ locked_until: Date | null }[], number];
    return rows[0][0]?.locked_until ?? null;
  }
}
