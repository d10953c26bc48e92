import { ConflictException, Inject, Injectable } from '@nestjs/common';
import type { LeaseRenewal } from '@forkdesk/agent-contract';
import type { EntityManager } from 'typeorm';
import { RetryLaterException } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { LifecycleRepository, type DiskLease } from './lifecycle.repository';

export type { DiskLease } from './lifecycle.repository';

/**
 * Leases on users' home disks (table user_disk_leases, one row per disk): taken in the
 * transaction that gives the user a desktop, renewed by its agent's heartbeats, released by
 * the database when the desktop is destroyed. A lapsed lease is never renewed again; another
 * desktop may take the disk once it lapsed `leaseGraceS` ago, by which time the old holder's
 * agent has destroyed it (the agent's lease watchdog).
 */
@Injectable()
export class DiskLeases {
  constructor(
    private readonly repo: LifecycleRepository,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  diskPath(userId: string): string {
    return `${this.config.homes.dir}/${userId}.qcow2`;
  }

  /** The user's disk for `desktopId` on `agentId`, or 409/503 when another desktop holds it. */
  async acquire(
    tx: EntityManager,
    userId: string,
    desktopId: string,
    agentId: string,
  ): Promise<DiskLease> {
    const { leaseTtlS, leaseGraceS } = this.config.homes;
    const lease = await this.repo.takeLease(
      tx,
      { userId, desktopId, agentId, diskPath: this.diskPath(userId) },
      leaseTtlS,
      leaseGraceS,
    );
    if (lease) return lease;
    const held = await this.repo.leaseHolder(tx, userId, leaseGraceS);
    if (!held || held.lapsed)
      throw new RetryLaterException(
        'your home disk is being released by another desktop; try again shortly',
        Math.max(1, held?.waitS ?? 1),
      );
    throw new ConflictException(
      `your home disk is attached to your desktop in pool "${held.pool}" (${held.state}); log off there first`,
    );
  }

  /** Pushes a live lease on before its disk is attached; null when it lapsed meanwhile. */
  extend(tx: EntityManager, desktopId: string): Promise<DiskLease | null> {
    return this.repo.extendLease(tx, desktopId, this.config.homes.leaseTtlS);
  }

  /**
   * A heartbeat of `agentId` running `vmIds`: live leases of its running, live desktops move
   * on (a destroying desktop's lease is left to lapse: fencing). Answers every lease its
   * children hold, lapsed ones too (the agent then destroys them, even after a restart that
   * cost it its own list).
   */
  async renew(tx: EntityManager, agentId: string, vmIds: string[]): Promise<LeaseRenewal[]> {
    const leases = await this.repo.renewLeases(tx, agentId, vmIds, this.config.homes.leaseTtlS);
    return leases.map((l) => ({ vmId: l.vmId, expiresAt: l.expiresAt.toISOString() }));
  }
}
