import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'crypto';
import type { EntityManager } from 'typeorm';
import { AuthRepository } from './auth.repository';
import type { SessionUser } from '../common/session-user';

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

  constructor(private readonly repo: AuthRepository) {}

  /** A new session; returns the cookie token (only its hash is stored). */
  async create(
    tx: EntityManager,
    userId: string,
    strategy: string,
    ip: string | null,
    ttlMin: number,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.repo.insertSession(tx, {
      tokenHash: hashToken(token),
      userId,
      strategy,
      ip,
      expiresAt: new Date(Date.now() + ttlMin * 60_000),
    });
    return token;
  }

  async resolve(token: string): Promise<ResolvedSession | null> {
    const s = await this.repo.findSession(hashToken(token));
    if (!s) return null;
    if (Date.now() - s.lastSeenAt.getTime() > SessionStore.TOUCH_MS)
      await this.repo.touchSession(s.sessionId);
    return { sessionId: s.sessionId, user: s.user };
  }

  delete(tx: EntityManager, sessionId: string): Promise<void> {
    return this.repo.deleteSession(tx, sessionId);
  }

  /** Ends every session of a user but `keep` (password change, disable, role change). */
  deleteForUser(tx: EntityManager, userId: string, keep?: string): Promise<void> {
    return this.repo.deleteSessionsOf(tx, userId, keep);
  }

  purgeExpired(): Promise<number> {
    return this.repo.purgeExpired();
  }
}
