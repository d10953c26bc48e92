import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type * as contract from '@forkdesk/broker-contract';
import { AssignmentMode, Desktop, DesktopState as S, Pool, SessionState } from '@forkdesk/db';
import { DataSource, EntityManager } from 'typeorm';
import { PlacementService } from '../agents/placement';
import type { SessionUser } from '../auth/session-user';
import type { Actor } from '../common/actor';
import { isUniqueViolation, RetryLaterException } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { BrokerMetrics } from '../health/metrics';
import { ASSIGNED_STATES, HOLDING_A_VM } from '../lifecycle/desktop-states';
import { effectiveVersion } from '../pools/pools.service';
import { DesktopStateMachine } from './desktop-state';
import { DiskLeases } from './disk-leases';
import { ForkService, type PendingFork } from './fork.service';
import { PoolEvents } from './pool-events';

export type DesktopBrief = contract.DesktopBrief<Date>;

export type MyPool = contract.MyPool<Date>;

export type SessionView = contract.SessionView<Date>;

/** Pools a user may open: entitled directly or through a group. */
const ENTITLED = `EXISTS (SELECT 1 FROM entitlements e
   WHERE e.pool_id = p.id AND (e.user_id = $1 OR e.group_id IN
     (SELECT m.group_id FROM memberships m WHERE m.user_id = $1)))`;

/**
 * The user's live desktop in a pool: assigned to them, or being forked for them. `$2` is
 * ASSIGNED_STATES and `$3` is forking (see MINE_PARAMS).
 */
const MINE = `((d.assigned_user_id = $1 AND d.state = ANY($2))
   OR (d.reserved_user_id = $1 AND d.state = $3))`;
const MINE_PARAMS = [ASSIGNED_STATES, S.Forking] as const;

type OpenStep =
  | { kind: 'have'; desktop: DesktopBrief }
  | { kind: 'assigned'; desktop: DesktopBrief; vmId: string; apiUrl: string; apiToken: string }
  | { kind: 'fork'; desktop: DesktopBrief; fork: PendingFork };

/** Waits for `p` at most `ms` (the timer is cleared, so nothing lingers). */
async function waitAtMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

@Injectable()
export class DesktopsService {
  constructor(
    private readonly ds: DataSource,
    private readonly states: DesktopStateMachine,
    private readonly placement: PlacementService,
    private readonly forks: ForkService,
    private readonly events: PoolEvents,
    private readonly metrics: BrokerMetrics,
    private readonly leases: DiskLeases,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async myPools(userId: string): Promise<MyPool[]> {
    const rows = (await this.ds.query(
      `SELECT p.id, p.name, p.vcpus, p.memory_mib, p.assignment_mode, p.persistent_home,
              d.id AS desktop_id, d.state AS desktop_state, d.session_state, d.disconnected_at,
              COALESCE(d.last_active_at, d.assigned_at, d.created_at) AS since
         FROM pools p
         LEFT JOIN desktops d ON d.pool_id = p.id AND ${MINE}
        WHERE ${ENTITLED}
        ORDER BY p.name`,
      [userId, ...MINE_PARAMS],
    )) as {
      id: string;
      name: string;
      vcpus: number;
      memory_mib: number;
      assignment_mode: AssignmentMode;
      persistent_home: boolean;
      desktop_id: string | null;
      desktop_state: S;
      session_state: SessionState | null;
      disconnected_at: Date | null;
      since: Date;
    }[];
    return rows.map((r) => ({
      pool: {
        id: r.id,
        name: r.name,
        vcpus: r.vcpus,
        memoryMib: r.memory_mib,
        assignmentMode: r.assignment_mode,
        persistentHome: r.persistent_home,
      },
      desktop: r.desktop_id
        ? {
            id: r.desktop_id,
            state: r.desktop_state,
            since: r.since,
            sessionState: r.session_state,
            disconnectedAt: r.disconnected_at,
          }
        : null,
    }));
  }

  /**
   * "Open": the user's desktop if they have one; else a spare, assigned in one transaction
   * (FOR UPDATE SKIP LOCKED: concurrent opens take different spares, never the same); else a
   * fork on the agent with the most free memory, within the pool's max.
   */
  async open(user: SessionUser, poolId: string, actor: Actor): Promise<DesktopBrief> {
    const t0 = performance.now();
    const pool = await this.entitledPool(user.id, poolId);
    let step: OpenStep;
    try {
      step = await this.ds.transaction((tx) => this.openStep(tx, user, pool, actor));
    } catch (err) {
      // The same user opening twice at once: the database let one through; show that one.
      if (!isUniqueViolation(err)) throw err;
      step = await this.ds.transaction((tx) => this.openStep(tx, user, pool, actor));
    }
    this.metrics.openAssign.observe({ path: step.kind }, (performance.now() - t0) / 1000);
    if (step.kind === 'assigned') {
      await this.forks.personalize(
        step.desktop.id,
        { apiUrl: step.apiUrl, apiToken: step.apiToken },
        step.vmId,
        user,
      );
      this.events.changed(pool.id); // one spare fewer
    }
    if (step.kind === 'fork') {
      const done = this.forks.complete(step.fork);
      if (this.config.openWaitMs > 0) await waitAtMost(done, this.config.openWaitMs);
      const now = await this.ds.getRepository(Desktop).findOneByOrFail({ id: step.desktop.id });
      step.desktop.state = now.state;
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
    const have = (await tx.query(
      `SELECT d.id, d.state, d.session_state FROM desktops d WHERE d.pool_id = $4 AND ${MINE} LIMIT 1`,
      [user.id, ...MINE_PARAMS, pool.id],
    )) as { id: string; state: S; session_state: SessionState | null }[];
    if (have[0]) {
      const h = have[0];
      // A dedicated desktop kept after logoff: the user is back, the disconnect timeout runs.
      if (h.session_state === SessionState.LoggedOff) {
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
        h.session_state = SessionState.Disconnected;
      }
      return {
        kind: 'have',
        desktop: { id: h.id, state: h.state, poolId: pool.id, sessionState: h.session_state },
      };
    }

    const version = await effectiveVersion(tx, pool);
    if (!version) {
      this.metrics.openRefused.inc({ reason: 'no_version' });
      throw new RetryLaterException('this pool has no published image version yet', 60);
    }
    const spare = (await tx.query(
      `SELECT d.id, d.vm_id, d.agent_id, a.api_url, a.api_token FROM desktops d JOIN agents a ON a.id = d.agent_id
        WHERE d.pool_id = $1 AND d.state = $3 AND d.image_version_id = $2 AND a.state = 'active'
        ORDER BY d.ready_at
        LIMIT 1
        FOR UPDATE OF d SKIP LOCKED`,
      [pool.id, version.id, S.Ready],
    )) as { id: string; vm_id: string; agent_id: string; api_url: string; api_token: string }[];
    if (spare[0]) {
      const s = spare[0];
      await this.states.move(tx, s.id, [S.Ready], S.Assigned, actor, { assigned_user_id: user.id });
      if (pool.persistentHome) await this.leases.acquire(tx, user.id, s.id, s.agent_id);
      return {
        kind: 'assigned',
        desktop: { id: s.id, state: S.Assigned, poolId: pool.id },
        vmId: s.vm_id,
        apiUrl: s.api_url,
        apiToken: s.api_token,
      };
    }

    // No spare: fork one. A full pool is refused before queueing on the pool row lock (a storm
    // of refused opens must not hold connections in that queue); under the lock the count is
    // exact against max.
    await this.refuseAtMax(tx, pool);
    await tx.query(`SELECT id FROM pools WHERE id = $1 FOR UPDATE`, [pool.id]);
    await this.refuseAtMax(tx, pool);
    const place = await this.placement.choose(tx, version.id, pool.vcpus, pool.memoryMib);
    if (!place) {
      this.metrics.openRefused.inc({ reason: 'no_capacity' });
      this.events.changed(pool.id); // may need templates built
      throw new RetryLaterException('no host has room for a desktop of this pool right now', 15);
    }
    const inserted = (await tx.query(
      `INSERT INTO desktops (pool_id, image_version_id, agent_id, template_id, state, reserved_user_id)
       VALUES ($1, $2, $3, $4, $6, $5) RETURNING id`,
      [pool.id, version.id, place.agentId, place.templateId, user.id, S.Forking],
    )) as { id: string }[];
    const id = inserted[0].id;
    await this.states.created(tx, id, pool.id, actor, { reservedFor: user.id });
    if (pool.persistentHome) await this.leases.acquire(tx, user.id, id, place.agentId);
    return {
      kind: 'fork',
      desktop: { id, state: S.Forking, poolId: pool.id },
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
    const rows = (await this.ds.query(`SELECT p.id FROM pools p WHERE p.id = $2 AND ${ENTITLED}`, [
      userId,
      poolId,
    ])) as { id: string }[];
    const pool = rows[0] ? await this.ds.getRepository(Pool).findOneBy({ id: poolId }) : null;
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
    const destroy = await this.ds.transaction(async (tx) => {
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
    await tx.query(
      `UPDATE desktop_sessions SET ended_at = now(), end_reason = $2 WHERE desktop_id = $1 AND ended_at IS NULL`,
      [desktopId, reason],
    );
  }

  async sessions(): Promise<SessionView[]> {
    const rows = (await this.ds.query(
      `SELECT d.id, d.state, d.assigned_user_id, u.username, d.pool_id, p.name AS pool, a.name AS agent,
              d.assigned_at, d.private_mib, d.shared_mib, d.session_state, d.disconnected_at, p.assignment_mode,
              EXISTS (SELECT 1 FROM desktop_sessions s WHERE s.desktop_id = d.id AND s.mode = 'control' AND s.ended_at IS NULL) AS connected
         FROM desktops d JOIN users u ON u.id = d.assigned_user_id JOIN pools p ON p.id = d.pool_id
         LEFT JOIN agents a ON a.id = d.agent_id
        WHERE d.state = ANY($1)
        ORDER BY d.assigned_at`,
      [ASSIGNED_STATES],
    )) as {
      id: string;
      state: S;
      assigned_user_id: string;
      username: string;
      pool_id: string;
      pool: string;
      agent: string | null;
      assigned_at: Date | null;
      private_mib: number | null;
      shared_mib: number | null;
      connected: boolean;
      session_state: SessionState | null;
      disconnected_at: Date | null;
      assignment_mode: AssignmentMode;
    }[];
    return rows.map((r) => ({
      desktopId: r.id,
      state: r.state,
      userId: r.assigned_user_id,
      username: r.username,
      poolId: r.pool_id,
      pool: r.pool,
      agent: r.agent,
      since: r.assigned_at,
      connected: r.connected,
      sessionState: r.session_state,
      disconnectedAt: r.disconnected_at,
      assignmentMode: r.assignment_mode,
      privateMib: r.private_mib,
      sharedMib: r.shared_mib,
    }));
  }

  private async refuseAtMax(
    tx: EntityManager,
    pool: { id: string; name: string; maxSize: number },
  ): Promise<void> {
    const live = (await tx.query(
      `SELECT count(*)::int AS n FROM desktops
        WHERE pool_id = $1 AND state = ANY($2)`,
      [pool.id, HOLDING_A_VM],
    )) as { n: number }[];
    if (live[0].n < pool.maxSize) return;
    this.metrics.openRefused.inc({ reason: 'pool_max' });
    throw new RetryLaterException(
      `pool "${pool.name}" is at its maximum of ${pool.maxSize} desktops`,
      30,
    );
  }
}
