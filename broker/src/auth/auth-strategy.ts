import { Injectable } from '@nestjs/common';
import { hashPassword, randomPassword, User, verifyPassword } from '@forkdesk/db';
import { DataSource } from 'typeorm';

/**
 * One way to prove who someone is. Local passwords today; an OIDC or LDAP provider is another
 * implementation registered under AUTH_STRATEGIES (it maps the external identity to a User row
 * with a null password hash).
 */
export interface AuthStrategy {
  readonly name: string;
  /** The user whose credentials these are, or null. Never throws for bad credentials. */
  authenticate(username: string, password: string): Promise<User | null>;
}

export const AUTH_STRATEGIES = Symbol('AuthStrategies');

/** Verified when the user does not exist, so a wrong name costs as much time as a wrong
 * password (no user enumeration by timing). Made once, lazily, with the pinned parameters. */
let dummyHash: Promise<string> | undefined;
const dummy = (): Promise<string> => (dummyHash ??= hashPassword(randomPassword()));

/**
 * Local passwords: argon2id with the parameters pinned in @forkdesk/db (hashPassword: m=19 MiB,
 * t=2, p=1, OWASP's baseline), about 25 ms of one core per login here. Verification runs on
 * libuv's thread pool, so logins in a storm verify in parallel without blocking the event loop.
 */
@Injectable()
export class LocalPasswordStrategy implements AuthStrategy {
  readonly name = 'local';

  constructor(private readonly ds: DataSource) {}

  async authenticate(username: string, password: string): Promise<User | null> {
    const user = await this.ds
      .getRepository(User)
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username })
      .getOne();
    const ok = await verifyPassword(user?.passwordHash ?? (await dummy()), password);
    return ok && user?.passwordHash ? user : null;
  }
}
