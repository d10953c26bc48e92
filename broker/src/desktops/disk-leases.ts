import { ConflictException, Inject, Injectable } from '@nestjs/common';
import type { LeaseRenewal } from '@forkdesk/agent-contract';
import type { EntityManager } from 'typeorm';
import { RetryLaterException } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { LIVE_STATES } from '../lifecycle/desktop-states';

export interface DiskLease {
  diskPath: string;
  expiresAt: Date;
}

/**
 * Leases on users' home disks (table user_disk_leases, one row per disk): taken in the
 * transaction that gives the user a desktop, renewed by its agent's heartbeats, released by
 * the database when the desktop is destroyed. A lapsed lease is never renewed again; another
 * desktop may take the disk once it lapsed `leaseGraceS` ago, by which time the old holder's
 * agent has destroyed it (the agent's lease watchdog).
 */
@Injectable()
export class DiskLeases {
  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {}

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
    // A concurrent acquire of the same disk waits here for the other transaction's row.
    const rows = (await tx.query(
      `INSERT INTO user_disk_leases (user_id, desktop_id, agent_id, disk_path, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
       ON CONFLICT (user_id) DO UPDATE
          SET desktop_id = EXCLUDED.desktop_id, agent_id = EXCLUDED.agent_id,
              disk_path = EXCLUDED.disk_path, acquired_at = now(), expires_at = EXCLUDED.expires_at
        WHERE user_disk_leases.expires_at < now() - make_interval(secs => $6)
       RETURNING disk_path, expires_at`,
      [userId, desktopId, agentId, this.diskPath(userId), leaseTtlS, leaseGraceS],
    )) as { disk_path: string; expires_at: Date }[];
    if (rows[0]) return { diskPath: rows[0].disk_path, expiresAt: rows[0].expires_at };
    const [held] = (await tx.query(
      `SELECT p.name AS pool, d.state, l.expires_at < now() AS lapsed,
              ceil(extract(epoch FROM l.expires_at + make_interval(secs => $2) - now()))::int AS wait_s
         FROM user_disk_leases l JOIN desktops d ON d.id = l.desktop_id JOIN pools p ON p.id = d.pool_id
        WHERE l.user_id = $1`,
      [userId, leaseGraceS],
    )) as { pool: string; state: string; lapsed: boolean; wait_s: number }[];
    if (!held || held.lapsed)
      throw new RetryLaterException(
        'your home disk is being released by another desktop; try again shortly',
        Math.max(1, held?.wait_s ?? 1),
      );
    throw new ConflictException(
      `your home disk is attached to your desktop in pool "${held.pool}" (${held.state}); log off there first`,
    );
  }

  /** Pushes a live lease on before its disk is attached; null when it lapsed meanwhile. */
  async extend(tx: EntityManager, desktopId: string): Promise<DiskLease | null> {
    const rows = (await tx.query(
      `UPDATE user_disk_leases SET expires_at = now() + make_interval(secs => $2)
        WHERE desktop_id = $1 AND expires_at > now() RETURNING disk_path, expires_at`,
      [desktopId, this.config.homes.leaseTtlS],
    )) as [{ disk_path: string; expires_at: Date }[], number];
    const r = rows[0][0];
    return r ? { diskPath: r.disk_path, expiresAt: r.expires_at } : null;
  }

  /**
   * A heartbeat of `agentId` running `vmIds`: live leases of its running, live desktops move
   * on. Answers every lease its children hold, lapsed ones too (the agent then destroys them,
   * even after a restart that cost it its own list).
   */
  async renew(tx: EntityManager, agentId: string, vmIds: string[]): Promise<LeaseRenewal[]> {
    await tx.query(
      `UPDATE user_disk_leases l SET expires_at = now() + make_interval(secs => $3)
         FROM desktops d
        WHERE d.id = l.desktop_id AND l.agent_id = $1 AND l.expires_at > now()
          AND d.state = ANY($4) AND d.vm_id = ANY($2)`,
      // A destroying desktop's lease is left to lapse (fencing): only live ones renew.
      [agentId, vmIds, this.config.homes.leaseTtlS, LIVE_STATES],
    );
    const rows = (await tx.query(
      `SELECT d.vm_id, l.expires_at FROM user_disk_leases l JOIN desktops d ON d.id = l.desktop_id
        WHERE l.agent_id = $1 AND d.vm_id = ANY($2)`,
      [agentId, vmIds],
    )) as { vm_id: string; expires_at: Date }[];
    return rows.map((r) => ({ vmId: r.vm_id, expiresAt: r.expires_at.toISOString() }));
  }
}
