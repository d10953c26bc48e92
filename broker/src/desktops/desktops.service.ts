import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type * as contract from '@forkdesk/broker-contract';
import {
  AssignmentMode,
  Desktop,
  DesktopState as S,
  DesktopStep,
  Pool,
  SessionState,
} from '@forkdesk/db';
import { DataSource, EntityManager } from 'typeorm';
import type { AgentEndpoint } from '../agents/agent-client';
import { PlacementService } from '../agents/placement';
import type { SessionUser } from '../common/session-user';
import type { Actor } from '../common/actor';
import { isUniqueViolation, RetryLaterException } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { BrokerMetrics } from '../common/metrics';
import { effectiveVersion } from '../pools/pools.service';
import { DesktopStateMachine } from '../lifecycle/desktop-state';
import { desktopStep } from '../lifecycle/desktop-states';
import { DesktopsRepository, type MyPool, type SessionView } from './desktops.repository';
import { DiskLeases } from '../lifecycle/disk-leases';
import { DisplayRevoker } from '../displays/display-revoker';
import { ForkService, type PendingFork } from './fork.service';
import { HoldsRepository } from './holds.repository';
import { HoldsService } from './holds.service';
import { PoolEvents } from './pool-events';

export type DesktopBrief = contract.DesktopBrief<Date>;

export type { MyPool, SessionView } from './desktops.repository';

type OpenStep =
  | { kind: 'have'; desktop: DesktopBrief }
  | { kind: 'held'; desktop: DesktopBrief }
  | { kind: 'assigned'; desktop: DesktopBrief; vmId: string; endpoint: AgentEndpoint }
  | { kind: 'fork'; desktop: DesktopBrief; fork: PendingFork };

/** `p`'s value, or undefined once `ms` passed first (the timer is cleared, so nothing lingers). */
async function waitAtMost<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    p,
    new Promise<undefined>((ok) => (timer = setTimeout(() => ok(undefined), ms))),
  ]);
  clearTimeout(timer);
  return r;
}

/** The answer when the fork hook failed on two children in a row. */
const PREPARE_FAILED =
  'your desktop could not be prepared: its start-up step failed on two desktops in a row. ' +
  'Try again in a minute; if it keeps failing, tell your administrator';

@Injectable()
export class DesktopsService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: DesktopsRepository,
    private readonly states: DesktopStateMachine,
    private readonly placement: PlacementService,
    private readonly forks: ForkService,
    private readonly events: PoolEvents,
    private readonly metrics: BrokerMetrics,
    private readonly leases: DiskLeases,
    private readonly displays: DisplayRevoker,
    private readonly holds: HoldsService,
    private readonly holdLocks: HoldsRepository,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** The user's pools; a spare is then held for each pool they have none in (background). */
  async myPools(user: SessionUser): Promise<MyPool[]> {
    const list = await this.repo.myPools(user.id);
    this.holds.reserveInBackground(user, list);
    return list;
  }

  /**
   * "Open": the user's desktop if they have one (a spare held for them is assigned now); else a
   * spare, assigned in one transaction (FOR UPDATE SKIP LOCKED: concurrent opens take
   * different spares, never the same); else a fork on the agent with the most free memory,
   * within the pool's max. A child whose fork hook fails is destroyed (never handed out) and
   * the open is tried once more on another; a second failure is a 503.
   */
  async open(user: SessionUser, poolId: string, actor: Actor): Promise<DesktopBrief> {
    const t0 = performance.now();
    const pool = await this.entitledPool(user.id, poolId);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const d = await this.openOnce(user, pool, actor, t0);
      if (d) return d;
      this.metrics.openRefused.inc({ reason: attempt === 1 ? 'hook_retried' : 'hook_failed' });
    }
    throw new RetryLaterException(PREPARE_FAILED, 60);
  }

  /** One try of "open"; null when the child's fork hook failed (it is being destroyed). */
  private async openOnce(
    user: SessionUser,
    pool: Pool,
    actor: Actor,
    t0: number,
  ): Promise<DesktopBrief | null> {
    let step: OpenStep;
    try {
      step = await this.ds.transaction((tx) => this.openStep(tx, user, pool, actor));
    } catch (err) {
      // The same user opening twice at once: the database let one through; show that one.
      if (!isUniqueViolation(err)) throw err;
      step = await this.ds.transaction((tx) => this.openStep(tx, user, pool, actor));
    }
    this.metrics.openAssign.observe({ path: step.kind }, (performance.now() - t0) / 1000);
    if (step.kind === 'held' && step.desktop.step === DesktopStep.Personalizing) {
      // Its hook is still running (signed in a moment ago): wait for it like for a fork.
      const r = await this.holds.waitPersonalized(step.desktop.id, this.config.openWaitMs);
      if (r === 'failed') return null;
      if (r === 'ready') step.desktop.step = DesktopStep.Ready;
    }
    if (step.kind === 'assigned') {
      const ok = await this.forks.personalize(step.desktop.id, step.endpoint, step.vmId, user);
      this.events.changed(pool.id); // one spare fewer
      if (!ok) return null;
      step.desktop.step = DesktopStep.Ready;
    }
    if (step.kind === 'fork') {
      const done = this.forks.complete(step.fork);
      const ok =
        this.config.openWaitMs > 0 ? await waitAtMost(done, this.config.openWaitMs) : undefined;
      if (ok === false) return null;
      const now = await this.ds.getRepository(Desktop).findOneByOrFail({ id: step.desktop.id });
      step.desktop.state = now.state;
      step.desktop.step = desktopStep(now.state, now.personalizedAt);
    }
    this.metrics.openDuration.observe({ path: step.kind }, (performance.now() - t0) / 1000);
    return step.desktop;
  }

  private async openStep(
    tx: EntityManager,
    user: SessionUser,
    pool: Pool,
    actor: Actor,
  ): Promise<OpenStep> {
    // Serialized with this user's holds in this pool (and their other tabs' opens).
    await this.holdLocks.lockUserPool(tx, user.id, pool.id);
    const h = await this.repo.mine(tx, user.id, pool.id);
    if (h?.heldUntil) {
      // A spare held for them: theirs now (its lease, if any, was taken with the hold). Gone
      // meanwhile (its time ran out this instant): take another below.
      const moved = await this.states.move(tx, h.id, [S.Ready], S.Assigned, actor, {
        assigned_user_id: user.id,
        reserved_user_id: null,
        held_until: null,
      });
      if (moved)
        return {
          kind: 'held',
          desktop: {
            id: h.id,
            state: S.Assigned,
            step: desktopStep(S.Assigned, h.personalizedAt),
            poolId: pool.id,
          },
        };
    } else if (h) {
      // A dedicated desktop kept after logoff: the user is back, the disconnect timeout runs.
      if (h.sessionState === SessionState.LoggedOff) {
        await this.states.session(
          tx,
          h.id,
          [SessionState.LoggedOff],
          SessionState.Disconnected,
          actor,
          {
            reason: 'reopened',
          },
        );
        h.sessionState = SessionState.Disconnected;
      }
      return {
        kind: 'have',
        desktop: {
          id: h.id,
          state: h.state,
          step: desktopStep(h.state, h.personalizedAt),
          poolId: pool.id,
          sessionState: h.sessionState,
        },
      };
    }

    const version = await effectiveVersion(tx, pool);
    if (!version) {
      this.metrics.openRefused.inc({ reason: 'no_version' });
      throw new RetryLaterException('this pool has no published image version yet', 60);
    }
    const s = await this.repo.takeSpare(tx, pool.id, version.id);
    if (s) {
      await this.states.move(tx, s.id, [S.Ready], S.Assigned, actor, { assigned_user_id: user.id });
      if (pool.persistentHome) await this.leases.acquire(tx, user.id, s.id, s.agentId);
      return {
        kind: 'assigned',
        desktop: { id: s.id, state: S.Assigned, step: DesktopStep.Personalizing, poolId: pool.id },
        vmId: s.vmId,
        endpoint: s.endpoint,
      };
    }

    // No spare: fork one. A full pool is refused before queueing on the pool row lock (a storm
    // of refused opens must not hold connections in that queue); under the lock the count is
    // exact against max.
    await this.refuseAtMax(tx, pool);
    await this.repo.lockPool(tx, pool.id);
    await this.refuseAtMax(tx, pool);
    const place = await this.placement.choose(tx, version.id, pool.vcpus, pool.memoryMib);
    if (!place) {
      this.metrics.openRefused.inc({ reason: 'no_capacity' });
      this.events.changed(pool.id); // may need templates built
      throw new RetryLaterException('no host has room for a desktop of this pool right now', 15);
    }
    const id = await this.repo.insertForking(tx, {
      poolId: pool.id,
      versionId: version.id,
      agentId: place.agentId,
      templateId: place.templateId,
      reservedUserId: user.id,
    });
    await this.states.created(tx, id, pool.id, actor, { reservedFor: user.id });
    if (pool.persistentHome) await this.leases.acquire(tx, user.id, id, place.agentId);
    return {
      kind: 'fork',
      desktop: { id, state: S.Forking, step: DesktopStep.Reserving, poolId: pool.id },
      fork: {
        desktopId: id,
        poolId: pool.id,
        endpoint: place.endpoint,
        agentTemplateId: place.agentTemplateId,
        reservedFor: { userId: user.id, username: user.username, displayName: user.displayName },
      },
    };
  }

  private async entitledPool(userId: string, poolId: string): Promise<Pool> {
    const pool = (await this.repo.isEntitled(userId, poolId))
      ? await this.ds.getRepository(Pool).findOneBy({ id: poolId })
      : null;
    if (!pool) throw new NotFoundException('pool not found');
    return pool;
  }

  /** A desktop of this user (assigned, or being forked for them); 404 for anything else. */
  async mine(userId: string, id: string): Promise<DesktopBrief> {
    const d = await this.ds.getRepository(Desktop).findOneBy({ id });
    if (!d || (d.assignedUserId !== userId && d.reservedUserId !== userId))
      throw new NotFoundException('desktop not found');
    return {
      id: d.id,
      state: d.state,
      step: desktopStep(d.state, d.personalizedAt),
      poolId: d.poolId,
      sessionState: d.sessionState,
      disconnectedAt: d.disconnectedAt,
      ...(d.lastError ? { lastError: d.lastError } : {}),
    };
  }

  /**
   * Logoff, with the pool's refresh policy: a floating desktop ends (destroying, committed
   * with its sessions closed; then the agent destroys the VM; then destroyed). A dedicated
   * one stays its user's (sessions closed, `logged_off`) unless `unassign` (an admin), or it
   * is on an older version than its pool now forks (the pool was refreshed).
   * `ownerId` set: only that user's desktop (404 otherwise).
   */
  async logoff(
    desktopId: string,
    actor: Actor,
    ownerId: string | null,
    reason = 'logoff',
    opts: { unassign?: boolean } = {},
  ): Promise<void> {
    let loggedOff = false;
    const destroy = await this.ds.transaction(async (tx) => {
      loggedOff = false; // a retried transaction starts over
      const d = await tx.findOneBy(Desktop, { id: desktopId });
      if (!d || (ownerId !== null && d.assignedUserId !== ownerId))
        throw new NotFoundException('desktop not found');
      if (d.state === S.Destroying || d.state === S.Destroyed) return false; // already on its way
      if (!opts.unassign && (await this.keepsDedicated(tx, d))) {
        await this.endSessions(tx, desktopId, reason);
        await this.states.session(
          tx,
          desktopId,
          [null, SessionState.Connected, SessionState.Disconnected],
          SessionState.LoggedOff,
          actor,
          { reason },
        );
        loggedOff = true;
        return false;
      }
      const moved = await this.states.move(
        tx,
        desktopId,
        [S.Assigned, S.InUse, S.Ready, S.Lost],
        S.Destroying,
        actor,
        {},
        { reason },
      );
      if (!moved) throw new NotFoundException('desktop not found');
      await this.endSessions(tx, desktopId, reason);
      return true;
    });
    // The displays end now, not when the VM is gone (a kept dedicated desktop never is).
    if (loggedOff || destroy) await this.displays.desktop(desktopId, reason);
    if (destroy) await this.forks.destroy(desktopId);
  }

  /** A dedicated desktop in use, on the version its pool forks now, survives logoff. */
  private async keepsDedicated(tx: EntityManager, d: Desktop): Promise<boolean> {
    if (d.state !== S.Assigned && d.state !== S.InUse) return false;
    const pool = await tx.findOneByOrFail(Pool, { id: d.poolId });
    if (pool.assignmentMode !== AssignmentMode.Dedicated) return false;
    return (await effectiveVersion(tx, pool))?.id === d.imageVersionId;
  }

  private async endSessions(tx: EntityManager, desktopId: string, reason: string): Promise<void> {
    await this.repo.endSessions(tx, desktopId, reason);
  }

  sessions(): Promise<SessionView[]> {
    return this.repo.sessions();
  }

  private async refuseAtMax(
    tx: EntityManager,
    pool: { id: string; name: string; maxSize: number },
  ): Promise<void> {
    if ((await this.repo.countHoldingAVm(tx, pool.id)) < pool.maxSize) return;
    this.metrics.openRefused.inc({ reason: 'pool_max' });
    throw new RetryLaterException(
      `pool "${pool.name}" is at its maximum of ${pool.maxSize} desktops`,
      30,
    );
  }
}
