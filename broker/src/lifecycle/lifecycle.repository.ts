import { Injectable } from '@nestjs/common';
import { DesktopState as S, SessionState } from '@forkdesk/db';
import type { EntityManager } from 'typeorm';
import { ASSIGNED_STATES, LIVE_STATES } from './desktop-states';

/** The timestamp each state stamps when entered. */
const STAMP: Partial<Record<S, string>> = {
  [S.Ready]: 'ready_at',
  [S.Assigned]: 'assigned_at',
  [S.InUse]: 'last_active_at',
  [S.Destroyed]: 'destroyed_at',
};

/** Extra columns a transition may set, by column name (a fixed list: no other name is SQL). */
export type TransitionPatch = Partial<{
  assigned_user_id: string;
  reserved_user_id: string | null;
  held_until: null;
  agent_id: string;
  template_id: string | null;
  vm_id: string;
  last_error: string | null;
}>;

/** A desktop row as a state change returns it, with the state it left. */
export interface MovedRow {
  id: string;
  poolId: string;
  agentId: string | null;
  vmId: string | null;
  assignedUserId: string | null;
  fromState: S;
}

/** A home disk lease: the disk's path and when the lease ends. */
export interface DiskLease {
  diskPath: string;
  expiresAt: Date;
}

/** Who holds a user's disk when it cannot be taken. */
export interface LeaseHolder {
  pool: string;
  state: S;
  lapsed: boolean;
  waitS: number;
}

interface MovedDbRow {
  id: string;
  pool_id: string;
  agent_id: string | null;
  vm_id: string | null;
  assigned_user_id: string | null;
  from_state: S;
}

type LeaseRow = { disk_path: string; expires_at: Date };

const toMoved = (r: MovedDbRow): MovedRow => ({
  id: r.id,
  poolId: r.pool_id,
  agentId: r.agent_id,
  vmId: r.vm_id,
  assignedUserId: r.assigned_user_id,
  fromState: r.from_state,
});

const toLease = (r: LeaseRow): DiskLease => ({ diskPath: r.disk_path, expiresAt: r.expires_at });

/** The SQL of the desktop state machine and of the home disk leases (user_disk_leases). */
@Injectable()
export class LifecycleRepository {
  /**
   * Sets `to` (stamping its time) and `patch` on the desktop if it is in one of `from`, with a
   * guarded UPDATE on the locked row: of two brokers racing for the same change, exactly one
   * gets the row.
   */
  async moveState(
    tx: EntityManager,
    id: string,
    from: readonly S[],
    to: S,
    patch: TransitionPatch,
  ): Promise<MovedRow | null> {
    const sets = ['state = $2', 'updated_at = now()'];
    const params: unknown[] = [id, to, from];
    const stamp = STAMP[to];
    if (stamp) sets.push(`${stamp} = now()`);
    for (const [col, value] of Object.entries(patch)) {
      params.push(value);
      sets.push(`${col} = $${params.length}`);
    }
    // A hold ends with its `ready` state, whatever moved it (opened, refreshed, lost, expired).
    if (to !== S.Ready && !('held_until' in patch)) sets.push('held_until = NULL');
    // The old state comes from a self-join on the locked row, so the audit names it exactly.
    const rows = (await tx.query(
      `UPDATE desktops d SET ${sets.join(', ')}
         FROM (SELECT id, state FROM desktops WHERE id = $1 FOR UPDATE) old
        WHERE d.id = old.id AND old.state = ANY($3::desktop_state[])
        RETURNING d.id, d.pool_id, d.agent_id, d.vm_id, d.assigned_user_id, old.state AS from_state`,
      params,
    )) as [MovedDbRow[], number];
    return rows[0][0] ? toMoved(rows[0][0]) : null;
  }

  /**
   * Sets the session state of an assigned desktop whose session state is one of `from`
   * (null: none yet), stamping the disconnect time; returns its pool, or null.
   */
  async moveSession(
    tx: EntityManager,
    id: string,
    from: readonly (SessionState | null)[],
    to: SessionState,
  ): Promise<string | null> {
    const rows = (await tx.query(
      `UPDATE desktops SET session_state = $2::session_state, updated_at = now(),
              disconnected_at = CASE WHEN $2::session_state = 'connected' THEN NULL ELSE now() END
        WHERE id = $1 AND state = ANY($5)
          AND (session_state = ANY($3::session_state[]) OR ($4 AND session_state IS NULL))
        RETURNING pool_id`,
      [id, to, from.filter((f) => f !== null), from.includes(null), ASSIGNED_STATES],
    )) as [{ pool_id: string }[], number];
    return rows[0][0]?.pool_id ?? null;
  }

  /**
   * Takes the user's disk lease for the desktop, or takes it over once the old lease lapsed
   * `graceS` ago; null when another desktop holds it. A concurrent take of the same disk waits
   * for the other transaction's row.
   */
  async takeLease(
    tx: EntityManager,
    l: { userId: string; desktopId: string; agentId: string; diskPath: string },
    ttlS: number,
    graceS: number,
  ): Promise<DiskLease | null> {
    const rows = (await tx.query(
      `INSERT INTO user_disk_leases (user_id, desktop_id, agent_id, disk_path, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
       ON CONFLICT (user_id) DO UPDATE
          SET desktop_id = EXCLUDED.desktop_id, agent_id = EXCLUDED.agent_id,
              disk_path = EXCLUDED.disk_path, acquired_at = now(), expires_at = EXCLUDED.expires_at
        WHERE user_disk_leases.expires_at < now() - make_interval(secs => $6)
       RETURNING disk_path, expires_at`,
      [l.userId, l.desktopId, l.agentId, l.diskPath, ttlS, graceS],
    )) as LeaseRow[];
    return rows[0] ? toLease(rows[0]) : null;
  }

  /** The desktop holding the user's lease, and how long until it may be taken over. */
  async leaseHolder(
    tx: EntityManager,
    userId: string,
    graceS: number,
  ): Promise<LeaseHolder | null> {
    const [r] = (await tx.query(
      `SELECT p.name AS pool, d.state, l.expires_at < now() AS lapsed,
              ceil(extract(epoch FROM l.expires_at + make_interval(secs => $2) - now()))::int AS wait_s
         FROM user_disk_leases l JOIN desktops d ON d.id = l.desktop_id JOIN pools p ON p.id = d.pool_id
        WHERE l.user_id = $1`,
      [userId, graceS],
    )) as { pool: string; state: S; lapsed: boolean; wait_s: number }[];
    return r ? { pool: r.pool, state: r.state, lapsed: r.lapsed, waitS: r.wait_s } : null;
  }

  /** Pushes the desktop's unexpired lease on by `ttlS`; null when it lapsed. */
  async extendLease(tx: EntityManager, desktopId: string, ttlS: number): Promise<DiskLease | null> {
    const rows = (await tx.query(
      `UPDATE user_disk_leases SET expires_at = now() + make_interval(secs => $2)
        WHERE desktop_id = $1 AND expires_at > now() RETURNING disk_path, expires_at`,
      [desktopId, ttlS],
    )) as [LeaseRow[], number];
    const r = rows[0][0];
    return r ? toLease(r) : null;
  }

  /**
   * Renews by `ttlS` the unexpired leases of the agent's live desktops running `vmIds` (a
   * destroying desktop's lease is left to lapse: fencing); answers every lease of those VMs.
   */
  async renewLeases(
    tx: EntityManager,
    agentId: string,
    vmIds: string[],
    ttlS: number,
  ): Promise<{ vmId: string; expiresAt: Date }[]> {
    await tx.query(
      `UPDATE user_disk_leases l SET expires_at = now() + make_interval(secs => $3)
         FROM desktops d
        WHERE d.id = l.desktop_id AND l.agent_id = $1 AND l.expires_at > now()
          AND d.state = ANY($4) AND d.vm_id = ANY($2)`,
      [agentId, vmIds, ttlS, LIVE_STATES],
    );
    const rows = (await tx.query(
      `SELECT d.vm_id, l.expires_at FROM user_disk_leases l JOIN desktops d ON d.id = l.desktop_id
        WHERE l.agent_id = $1 AND d.vm_id = ANY($2)`,
      [agentId, vmIds],
    )) as { vm_id: string; expires_at: Date }[];
    return rows.map((r) => ({ vmId: r.vm_id, expiresAt: r.expires_at }));
  }
}
