import { Injectable } from '@nestjs/common';
import { AuthSession, User } from '@forkdesk/db';
import { createHash, randomBytes } from 'crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { SessionUser } from './session-user';

export const hashToken = (token: string): string =>
  createHash('sha256').update(token, 'utf8').digest('hex');

export interface ResolvedSession {
  sessionId: string;
  user: SessionUser;
}

/** Login sessions in PostgreSQL, so any broker recognises a cookie another one issued. */
@Injectable()
export class SessionStore {
  /** lastSeenAt is refreshed at most this often, not on every request. */
  private static readonly TOUCH_MS = 60_000;

  constructor(private readonly ds: DataSource) {}

  /** A new session; returns the cookie token (only its hash is stored). */
  async create(
    tx: EntityManager,
    userId: string,
    strategy: string,
    ip: string | null,
    ttlMin: number,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await tx.insert(AuthSession, {
      tokenHash: hashToken(token),
      userId,
      strategy,
      ip,
      expiresAt: new Date(Date.now() + ttlMin * 60_000),
    });
    return token;
  }

  async resolve(token: string): Promise<ResolvedSession | null> {
    const rows = (await this.ds.query(
      `SELECT s.id AS session_id, s.last_seen_at, u.id, u.username, u.display_name, u.role
         FROM auth_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled`,
      [hashToken(token)],
    )) as {
      session_id: string;
      last_seen_at: Date;
      id: string;
      username: string;
      display_name: string;
      role: User['role'];
    }[];
    const r = rows[0];
    if (!r) return null;
    if (Date.now() - r.last_seen_at.getTime() > SessionStore.TOUCH_MS) {
      await this.ds.query(`UPDATE auth_sessions SET last_seen_at = now() WHERE id = $1`, [
        r.session_id,
      ]);
    }
    return {
      sessionId: r.session_id,
      user: { id: r.id, username: r.username, displayName: r.display_name, role: r.role },
    };
  }

  async delete(tx: EntityManager, sessionId: string): Promise<void> {
    await tx.delete(AuthSession, { id: sessionId });
  }

  /** Ends every session of a user but `keep` (password change, disable, role change). */
  async deleteForUser(tx: EntityManager, userId: string, keep?: string): Promise<void> {
    const qb = tx
      .createQueryBuilder()
      .delete()
      .from(AuthSession)
      .where('user_id = :userId', { userId });
    if (keep) qb.andWhere('id <> :keep', { keep });
    await qb.execute();
  }

  async purgeExpired(): Promise<number> {
    const r = await this.ds.query(`DELETE FROM auth_sessions WHERE expires_at <= now()`);
    return (r as [unknown, number])[1] ?? 0;
  }
}
