import {
  BeforeApplicationShutdown,
  HttpException,
  Inject,
  Injectable,
  OnModuleInit,
} from '@nestjs/common';
import { DesktopState as S, Pool } from '@forkdesk/db';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { type Actor, SYSTEM } from '../common/actor';
import { isUniqueViolation } from '../common/errors';
import { LOGGER } from '../common/logger';
import type { SessionUser } from '../common/session-user';
import { SignIns } from '../common/sign-ins';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { DesktopStateMachine } from '../lifecycle/desktop-state';
import { DiskLeases } from '../lifecycle/disk-leases';
import { effectiveVersion } from '../pools/pools.service';
import { DesktopsRepository, type MyPool, type Spare } from './desktops.repository';
import { ForkService } from './fork.service';
import { HoldsRepository } from './holds.repository';
import { PoolEvents } from './pool-events';

/** How long a stopping broker waits for the holds it is making (their rows get updated). */
const SHUTDOWN_WAIT_MS = 5_000;
/** How often an open polls a hold another broker personalizes. */
const POLL_MS = 50;

/** Where a held desktop's personalization stands when an open looks. */
export type Personalized = 'ready' | 'failed' | 'pending';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`'s value, or undefined once `ms` passed first (the timer is cleared). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    p,
    new Promise<undefined>((ok) => (timer = setTimeout(() => ok(undefined), ms))),
  ]);
  clearTimeout(timer);
  return r;
}

const userActor = (u: SessionUser): Actor => ({
  userId: u.id,
  name: `user:${u.username}`,
  ip: null,
});

/**
 * Ready before the click: when a user signs in or lists their pools, a free spare of each
 * entitled pool in which they have no desktop is held for them and personalized (the fork
 * hook runs now, not after "Open"), for `holds.ttlS`. "Open" then only assigns it. A hold not
 * opened in time is destroyed, not returned: it carries that user's identity (hostname, name,
 * home disk), so it can never serve anyone else; the reconciler forks a fresh spare instead.
 * The reconciler counts held spares against `maxSize` but not as free spares.
 */
@Injectable()
export class HoldsService implements OnModuleInit, BeforeApplicationShutdown {
  /** One reservation round per user at a time (two tabs, sign-in and the list at once). */
  private readonly rounds = new Map<string, Promise<void>>();
  /** Personalizations of held desktops under way here, by desktop id: true when done. */
  private readonly personalizing = new Map<string, Promise<boolean>>();

  constructor(
    private readonly ds: DataSource,
    private readonly desktops: DesktopsRepository,
    private readonly repo: HoldsRepository,
    private readonly states: DesktopStateMachine,
    private readonly audit: AuditService,
    private readonly leases: DiskLeases,
    private readonly forks: ForkService,
    private readonly events: PoolEvents,
    private readonly signIns: SignIns,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.signIns.onSignedIn((user) => this.reserveInBackground(user));
  }

  async beforeApplicationShutdown(): Promise<void> {
    const deadline = new Promise((r) => setTimeout(r, SHUTDOWN_WAIT_MS).unref());
    await Promise.race([Promise.all([...this.rounds.values()]), deadline]);
  }

  /** Starts a reservation round for the user unless one runs; never waits, never throws. */
  reserveInBackground(user: SessionUser, pools?: MyPool[]): void {
    if (this.config.holds.ttlS === 0 || this.rounds.has(user.id)) return;
    const round = this.reserveAll(user, pools)
      .then(() => undefined)
      .catch((err: unknown) => this.log.warn({ err, user: user.username }, 'holding spares failed'))
      .finally(() => this.rounds.delete(user.id));
    this.rounds.set(user.id, round);
  }

  /** Holds and personalizes a spare in each pool the user has no desktop in; the held ids. */
  async reserveAll(user: SessionUser, pools?: MyPool[]): Promise<string[]> {
    const list = pools ?? (await this.desktops.myPools(user.id));
    // A hold of a pool with home disks takes the user's disk lease; with two such pools it
    // would keep the other from opening, so then those are opened the ordinary way.
    const homes = list.filter((p) => p.pool.persistentHome).length;
    const wanted = list.filter((p) => !p.desktop && (!p.pool.persistentHome || homes === 1));
    const held: string[] = [];
    for (const p of wanted) {
      const id = await this.holdOne(user, p.pool.id);
      if (id) held.push(id);
    }
    return held;
  }

  /**
   * Holds one spare and personalizes it; when its fork hook fails (the child is destroyed and
   * replaced), once more on another spare. The held desktop's id, or null.
   */
  private async holdOne(user: SessionUser, poolId: string): Promise<string | null> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const s = await this.reserve(user, poolId);
      if (!s) return null;
      this.events.changed(poolId); // one free spare fewer: the reconciler forks another
      const done = this.forks.personalize(s.id, s.endpoint, s.vmId, user);
      this.personalizing.set(s.id, done);
      const ok = await done.finally(() => this.personalizing.delete(s.id));
      if (ok) return s.id;
    }
    return null;
  }

  /**
   * One hold, race-free: under the user's and pool's advisory lock (shared with "open"), only
   * when they have no desktop there, on a free spare locked SKIP LOCKED. Null when there is
   * nothing to hold (or their home disk is busy elsewhere).
   */
  async reserve(user: SessionUser, poolId: string): Promise<Spare | null> {
    try {
      return await this.ds.transaction(async (tx) => {
        await this.repo.lockUserPool(tx, user.id, poolId);
        if (await this.desktops.mine(tx, user.id, poolId)) return null;
        const pool = await tx.findOneBy(Pool, { id: poolId });
        const version = pool && (await effectiveVersion(tx, pool));
        if (!pool || !version) return null;
        const s = await this.desktops.takeSpare(tx, pool.id, version.id);
        if (!s || !(await this.repo.hold(tx, s.id, user.id, this.config.holds.ttlS))) return null;
        if (pool.persistentHome) await this.leases.acquire(tx, user.id, s.id, s.agentId);
        await this.audit.record(tx, userActor(user), {
          action: 'desktop.held',
          targetType: 'desktop',
          targetId: s.id,
          details: { poolId: pool.id, forS: this.config.holds.ttlS },
        });
        return s;
      });
    } catch (err) {
      // Their disk is attached elsewhere, or a concurrent reservation won: nothing to hold.
      if (err instanceof HttpException || isUniqueViolation(err)) return null;
      throw err;
    }
  }

  /** Waits at most `ms` for a held desktop's personalization (made here or on another broker). */
  async waitPersonalized(desktopId: string, ms: number): Promise<Personalized> {
    const local = this.personalizing.get(desktopId);
    if (local) {
      const ok = await within(local, ms);
      return ok === undefined ? 'pending' : ok ? 'ready' : 'failed';
    }
    const deadline = performance.now() + ms;
    for (;;) {
      const st = await this.repo.prepState(desktopId);
      if (!st || (st.state !== S.Ready && st.state !== S.Assigned && st.state !== S.InUse))
        return 'failed';
      if (st.personalizedAt) return 'ready';
      if (performance.now() >= deadline) return 'pending';
      await sleep(POLL_MS);
    }
  }

  /**
   * Held spares not opened in time are destroyed (personalized for their user, they cannot go
   * back to the pool); the destroy asks the reconciler for a fresh spare. Returns how many.
   */
  async expire(): Promise<number> {
    let n = 0;
    for (const id of await this.repo.expired()) {
      const moved = await this.ds.transaction((tx) =>
        this.states.move(
          tx,
          id,
          [S.Ready],
          S.Destroying,
          SYSTEM,
          { reserved_user_id: null, held_until: null },
          { reason: 'hold expired' },
        ),
      );
      if (!moved) continue; // opened meanwhile
      n++;
      if (!(await this.forks.destroy(id))) this.events.changed(moved.poolId);
    }
    return n;
  }
}
