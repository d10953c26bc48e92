import { Inject, Injectable } from '@nestjs/common';
import type { ChildInfo, Personalization } from '@forkdesk/agent-contract';
import { DesktopState as S } from '@forkdesk/db';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import {
  AGENT_CLIENT,
  AgentCallError,
  type AgentClient,
  type AgentEndpoint,
} from '../agents/agent-client';
import { type Actor, SYSTEM } from '../common/actor';
import { LOGGER } from '../common/logger';
import { BrokerMetrics } from '../common/metrics';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { DesktopStateMachine } from '../lifecycle/desktop-state';
import { DesktopsRepository } from './desktops.repository';
import { DiskLeases } from '../lifecycle/disk-leases';
import { HoldsRepository } from './holds.repository';
import { PoolEvents } from './pool-events';

/** A `forking` desktop row, committed before the agent is asked (its id is the fork's key). */
export interface PendingFork {
  desktopId: string;
  poolId: string;
  endpoint: AgentEndpoint;
  agentTemplateId: string;
  /** Set when a user waits for this very desktop. */
  reservedFor?: { userId: string; username: string; displayName: string };
}

/** A POSIX-ish login name for the guest, or nothing when the user name cannot be one. */
export function guestUserName(username: string): string | undefined {
  const n = username
    .toLowerCase()
    .replace(/@.*$/, '')
    .replace(/[^a-z0-9_-]/g, '_');
  return /^[a-z_][a-z0-9_-]{0,31}$/.test(n) ? n : undefined;
}

/** The agent-side steps of a desktop's life: fork, personalize, destroy. */
@Injectable()
export class ForkService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: DesktopsRepository,
    private readonly states: DesktopStateMachine,
    private readonly events: PoolEvents,
    private readonly metrics: BrokerMetrics,
    private readonly leases: DiskLeases,
    private readonly holds: HoldsRepository,
    @Inject(AGENT_CLIENT) private readonly agents: AgentClient,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /**
   * Forks on the agent and records the result; never throws (failures land on the row). True
   * when the desktop is ready (and, made for a user, personalized and theirs).
   */
  async complete(f: PendingFork): Promise<boolean> {
    const t0 = performance.now();
    let vmId: string;
    try {
      vmId = (await this.forkOnce(f)).id;
      this.metrics.agentCalls.observe({ op: 'fork', ok: 'true' }, (performance.now() - t0) / 1000);
    } catch (err) {
      this.metrics.agentCalls.observe({ op: 'fork', ok: 'false' }, (performance.now() - t0) / 1000);
      this.log.warn({ err, desktop: f.desktopId }, 'fork failed');
      await this.ds.transaction((tx) =>
        this.states.move(tx, f.desktopId, [S.Forking], S.Destroyed, SYSTEM, {
          last_error: `fork failed: ${(err as Error).message}`.slice(0, 1000),
          reserved_user_id: null,
        }),
      );
      this.events.changed(f.poolId);
      return false;
    }
    const assigned = await this.ds.transaction(async (tx) => {
      const ready = await this.states.move(tx, f.desktopId, [S.Forking], S.Ready, SYSTEM, {
        vm_id: vmId,
      });
      if (!ready) return null; // given up meanwhile (fork timeout): the VM is an orphan
      if (!f.reservedFor) return false;
      const actor: Actor = {
        userId: f.reservedFor.userId,
        name: `user:${f.reservedFor.username}`,
        ip: null,
      };
      return this.states.move(tx, f.desktopId, [S.Ready], S.Assigned, actor, {
        assigned_user_id: f.reservedFor.userId,
        reserved_user_id: null,
      });
    });
    if (assigned === null) {
      await this.agents.destroy(f.endpoint, vmId).catch(() => undefined);
      return false;
    }
    if (assigned && f.reservedFor)
      return this.personalize(f.desktopId, f.endpoint, vmId, f.reservedFor);
    return assigned !== null;
  }

  /**
   * The desktop id is the fork's idempotency key: when the answer is lost (agent unreachable
   * or too slow), the request is sent once more and the agent answers the child it made.
   */
  private async forkOnce(f: PendingFork): Promise<ChildInfo> {
    // The pool's settings now: a desktop keeps them for its life, later changes are not its.
    // A fork nobody waits for (the reconciler's spare) yields to the ones users wait for.
    const settings = {
      ...(await this.repo.forkSettingsOf(f.poolId)),
      ...(f.reservedFor ? {} : { spare: true }),
    };
    try {
      return await this.agents.fork(f.endpoint, f.agentTemplateId, f.desktopId, settings);
    } catch (err) {
      if (!(err instanceof AgentCallError) || err.status !== 0) throw err;
      this.log.warn({ err, desktop: f.desktopId }, 'fork answer lost; asking again');
      return this.agents.fork(f.endpoint, f.agentTemplateId, f.desktopId, settings);
    }
  }

  /**
   * Hostname, user name, clock and home disk in the guest (the image's fork hook); true when
   * done. A child whose hook failed is in no known state (half a user's identity, maybe no
   * home disk): it is destroyed, never handed out, and the reconciler forks a replacement;
   * the caller may try another spare.
   */
  async personalize(
    desktopId: string,
    endpoint: AgentEndpoint,
    vmId: string,
    user: { username: string; displayName: string },
  ): Promise<boolean> {
    const userName = guestUserName(user.username);
    // The guest shows the full name; characters a passwd entry cannot hold are left out.
    const fullName = user.displayName
      .replace(/[:,\\\n]/g, ' ')
      .trim()
      .slice(0, 128);
    const p: Personalization = {
      hostname: `fd-${desktopId.slice(0, 8)}`,
      syncClock: true,
      ...(userName ? { userName } : {}),
      ...(fullName ? { fullName } : {}),
      ...(await this.homeDisk(desktopId)),
    };
    const t0 = performance.now();
    try {
      await this.agents.personalize(endpoint, vmId, p);
      this.metrics.agentCalls.observe(
        { op: 'personalize', ok: 'true' },
        (performance.now() - t0) / 1000,
      );
    } catch (err) {
      this.metrics.agentCalls.observe(
        { op: 'personalize', ok: 'false' },
        (performance.now() - t0) / 1000,
      );
      this.log.warn({ err, desktop: desktopId }, 'personalization failed; destroying the child');
      await this.discard(desktopId, `personalization failed: ${(err as Error).message}`);
      return false;
    }
    await this.holds.markPersonalized(desktopId);
    return true;
  }

  /** A child that must not serve anyone: destroying now (its sessions closed), then destroyed. */
  private async discard(desktopId: string, error: string): Promise<void> {
    const moved = await this.ds.transaction(async (tx) => {
      const m = await this.states.move(
        tx,
        desktopId,
        [S.Ready, S.Assigned, S.InUse],
        S.Destroying,
        SYSTEM,
        { last_error: error.slice(0, 1000), reserved_user_id: null, held_until: null },
        { reason: 'personalization failed' },
      );
      if (m) await this.repo.endSessions(tx, desktopId, 'personalization failed');
      return m;
    });
    // destroy() asks the reconciler for a replacement; when it fails the scheduler retries it.
    if (moved && !(await this.destroy(desktopId))) this.events.changed(moved.poolId);
  }

  /**
   * The home disk of a desktop that holds its user's disk lease, with the lease pushed on
   * (the fork may have taken a while) and its expiry for the agent's watchdog.
   */
  private async homeDisk(desktopId: string): Promise<Partial<Personalization>> {
    const lease = await this.ds.transaction((tx) => this.leases.extend(tx, desktopId));
    if (!lease) {
      if (await this.repo.hasPersistentHome(desktopId))
        await this.repo.setLastError(
          desktopId,
          'the home disk lease lapsed before the disk was attached',
        );
      return {};
    }
    return {
      persistentDisk: lease.diskPath,
      persistentDiskSizeMiB: this.config.homes.diskMib,
      leaseExpiresAt: lease.expiresAt.toISOString(),
    };
  }

  /** Destroys a `destroying` desktop's VM, then marks it destroyed. On failure it stays
   * `destroying` and the scheduler tries again. */
  async destroy(desktopId: string): Promise<boolean> {
    const d = await this.repo.destroyTarget(desktopId);
    if (!d) return false;
    if (d.vmId && d.endpoint) {
      const t0 = performance.now();
      try {
        await this.agents.destroy(d.endpoint, d.vmId);
        this.metrics.agentCalls.observe(
          { op: 'destroy', ok: 'true' },
          (performance.now() - t0) / 1000,
        );
      } catch (err) {
        this.metrics.agentCalls.observe(
          { op: 'destroy', ok: 'false' },
          (performance.now() - t0) / 1000,
        );
        this.log.warn({ err, desktop: desktopId }, 'destroy failed; will retry');
        return false;
      }
    }
    await this.ds.transaction((tx) =>
      this.states.move(tx, desktopId, [S.Destroying], S.Destroyed, SYSTEM),
    );
    this.events.changed(d.poolId);
    return true;
  }
}
