import { Inject, Injectable } from '@nestjs/common';
import type { ChildInfo, NetworkMode, Personalization } from '@forkdesk/agent-contract';
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
import { BrokerMetrics } from '../health/metrics';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { DesktopStateMachine } from './desktop-state';
import { DiskLeases } from './disk-leases';
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
    private readonly states: DesktopStateMachine,
    private readonly events: PoolEvents,
    private readonly metrics: BrokerMetrics,
    private readonly leases: DiskLeases,
    @Inject(AGENT_CLIENT) private readonly agents: AgentClient,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  private async networkOf(poolId: string): Promise<NetworkMode | undefined> {
    const rows = (await this.ds.query(`SELECT network_mode FROM pools WHERE id = $1`, [
      poolId,
    ])) as { network_mode: NetworkMode }[];
    return rows[0]?.network_mode;
  }

  /** Forks on the agent and records the result; never throws (failures land on the row). */
  async complete(f: PendingFork): Promise<void> {
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
      return;
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
    } else if (assigned && f.reservedFor) {
      await this.personalize(f.desktopId, f.endpoint, vmId, f.reservedFor);
    }
  }

  /**
   * The desktop id is the fork's idempotency key: when the answer is lost (agent unreachable
   * or too slow), the request is sent once more and the agent answers the child it made.
   */
  private async forkOnce(f: PendingFork): Promise<ChildInfo> {
    const network = await this.networkOf(f.poolId);
    try {
      return await this.agents.fork(f.endpoint, f.agentTemplateId, f.desktopId, network);
    } catch (err) {
      if (!(err instanceof AgentCallError) || err.status !== 0) throw err;
      this.log.warn({ err, desktop: f.desktopId }, 'fork answer lost; asking again');
      return this.agents.fork(f.endpoint, f.agentTemplateId, f.desktopId, network);
    }
  }

  /** Hostname, user name, clock and home disk in the guest. A failure is recorded, not
   * fatal: the desktop still works, only less personal. */
  async personalize(
    desktopId: string,
    endpoint: AgentEndpoint,
    vmId: string,
    user: { username: string; displayName: string },
  ): Promise<void> {
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
      this.log.warn({ err, desktop: desktopId }, 'personalization failed');
      await this.ds.query(`UPDATE desktops SET last_error = $2 WHERE id = $1`, [
        desktopId,
        `personalization failed: ${(err as Error).message}`.slice(0, 1000),
      ]);
    }
  }

  /**
   * The home disk of a desktop that holds its user's disk lease, with the lease pushed on
   * (the fork may have taken a while) and its expiry for the agent's watchdog.
   */
  private async homeDisk(desktopId: string): Promise<Partial<Personalization>> {
    const lease = await this.ds.transaction((tx) => this.leases.extend(tx, desktopId));
    if (!lease) {
      const [d] = (await this.ds.query(
        `SELECT p.persistent_home FROM desktops d JOIN pools p ON p.id = d.pool_id WHERE d.id = $1`,
        [desktopId],
      )) as { persistent_home: boolean }[];
      if (d?.persistent_home)
        await this.ds.query(`UPDATE desktops SET last_error = $2 WHERE id = $1`, [
          desktopId,
          'the home disk lease lapsed before the disk was attached',
        ]);
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
    const rows = (await this.ds.query(
      `SELECT d.pool_id, d.vm_id, a.api_url, a.api_token FROM desktops d
         LEFT JOIN agents a ON a.id = d.agent_id WHERE d.id = $1 AND d.state = $2`,
      [desktopId, S.Destroying],
    )) as {
      pool_id: string;
      vm_id: string | null;
      api_url: string | null;
      api_token: string | null;
    }[];
    const d = rows[0];
    if (!d) return false;
    if (d.vm_id && d.api_url && d.api_token) {
      const t0 = performance.now();
      try {
        await this.agents.destroy({ apiUrl: d.api_url, apiToken: d.api_token }, d.vm_id);
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
    this.events.changed(d.pool_id);
    return true;
  }
}
