import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { hashPassword, User, verifyPassword } from '@forkdesk/db';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../common/actor';
import { RetryLaterException } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { BrokerMetrics } from '../common/metrics';
import { DisplayRevoker } from '../displays/display-revoker';
import { AuthRepository } from './auth.repository';
import { AUTH_STRATEGIES, type AuthStrategy } from './auth-strategy';
import { LoginThrottle } from './login-throttle';
import type { SessionUser } from '../common/session-user';
import { SessionStore } from './session.store';

export interface LoginResult {
  token: string;
  user: SessionUser;
}

const BAD_CREDENTIALS = 'invalid username or password';

export const toSessionUser = (u: User): SessionUser => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: u.role,
});

@Injectable()
export class AuthService {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly ds: DataSource,
    private readonly sessions: SessionStore,
    private readonly repo: AuthRepository,
    private readonly audit: AuditService,
    private readonly metrics: BrokerMetrics,
    private readonly displays: DisplayRevoker,
    @Inject(AUTH_STRATEGIES) private readonly strategies: AuthStrategy[],
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {
    this.throttle = new LoginThrottle(config.auth.loginRatePerMin);
  }

  async login(username: string, password: string, ip: string | null): Promise<LoginResult> {
    const wait = this.throttle.take(ip ?? 'unknown');
    if (wait > 0) {
      this.metrics.logins.inc({ result: 'throttled' });
      throw new RetryLaterException('too many login attempts; try again later', wait, 429);
    }
    const known = await this.ds
      .getRepository(User)
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username })
      .getOne();
    const lockedMs = known?.lockedUntil ? known.lockedUntil.getTime() - Date.now() : 0;
    if (lockedMs > 0) {
      this.metrics.logins.inc({ result: 'locked' });
      throw new RetryLaterException(
        'account temporarily locked after failed logins',
        Math.ceil(lockedMs / 1000),
        429,
      );
    }
    for (const strategy of this.strategies) {
      const user = await strategy.authenticate(username, password);
      if (user && !user.disabled) return this.open(user, strategy.name, ip);
    }
    if (known) await this.recordFailure(known, ip);
    this.metrics.logins.inc({ result: 'failed' });
    throw new UnauthorizedException(BAD_CREDENTIALS);
  }

  private async open(user: User, strategy: string, ip: string | null): Promise<LoginResult> {
    const token = await this.ds.transaction(async (tx) => {
      if (user.failedLogins > 0 || user.lockedUntil) {
        await tx.update(User, { id: user.id }, { failedLogins: 0, lockedUntil: null });
      }
      const t = await this.sessions.create(
        tx,
        user.id,
        strategy,
        ip,
        this.config.auth.sessionTtlMin,
      );
      await this.audit.record(
        tx,
        { userId: user.id, name: `user:${user.username}`, ip },
        { action: 'auth.login', targetType: 'user', targetId: user.id, details: { strategy } },
      );
      return t;
    });
    this.metrics.logins.inc({ result: 'ok' });
    return { token, user: toSessionUser(user) };
  }

  /** Counts a failure; the Nth in a row locks the account for a while. */
  private async recordFailure(user: User, ip: string | null): Promise<void> {
    const { maxFailedLogins, lockoutMin } = this.config.auth;
    await this.ds.transaction(async (tx) => {
      const locked = await this.repo.countFailedLogin(tx, user.id, maxFailedLogins, lockoutMin);
      const actor: Actor = { userId: null, name: `user:${user.username}`, ip };
      await this.audit.record(tx, actor, {
        action: locked && locked.getTime() > Date.now() ? 'auth.lockout' : 'auth.login_failed',
        targetType: 'user',
        targetId: user.id,
      });
    });
  }

  async logout(sessionId: string, actor: Actor): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.sessions.delete(tx, sessionId);
      await this.audit.record(tx, actor, {
        action: 'auth.logout',
        targetType: 'user',
        targetId: actor.userId ?? undefined,
      });
    });
    // Signed out: the screens this user had open go too (their other browsers' as well).
    if (actor.userId) await this.displays.user(actor.userId, 'sign-out');
  }

  async changePassword(
    user: SessionUser,
    sessionId: string,
    currentPassword: string,
    newPassword: string,
    actor: Actor,
  ): Promise<void> {
    const row = await this.ds.getRepository(User).findOneByOrFail({ id: user.id });
    if (!row.passwordHash || !(await verifyPassword(row.passwordHash, currentPassword))) {
      throw new UnauthorizedException('current password is wrong');
    }
    const passwordHash = await hashPassword(newPassword);
    await this.ds.transaction(async (tx) => {
      await tx.update(User, { id: user.id }, { passwordHash });
      // Other sessions may be someone who learned the old password.
      await this.sessions.deleteForUser(tx, user.id, sessionId);
      await this.audit.record(tx, actor, {
        action: 'auth.password_change',
        targetType: 'user',
        targetId: user.id,
      });
    });
  }
}
