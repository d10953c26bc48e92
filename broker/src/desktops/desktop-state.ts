import { Injectable } from '@nestjs/common';
import { DesktopState as S, SessionState } from '@forkdesk/db';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../common/actor';
import { BrokerMetrics } from '../health/metrics';
import { ASSIGNED_STATES } from '../lifecycle/desktop-states';

/** forking → ready → assigned → in_use → destroying → destroyed; live states may be lost. */
export const TRANSITIONS: Record<S, readonly S[]> = {
  [S.Forking]: [S.Ready, S.Destroyed, S.Lost],
  [S.Ready]: [S.Assigned, S.Destroying, S.Lost],
  [S.Assigned]: [S.InUse, S.Destroying, S.Lost],
  [S.InUse]: [S.Assigned, S.Destroying, S.Lost],
  [S.Destroying]: [S.Destroyed, S.Lost],
  [S.Destroyed]: [],
  [S.Lost]: [S.Destroying, S.Destroyed],
};

/** The timestamp each state stamps when entered. */
const STAMP: Partial<Record<S, string>> = {
  [S.Ready]: 'ready_at',
  [S.Assigned]: 'assigned_at',
  [S.InUse]: 'last_active_at',
  [S.Destroyed]: 'destroyed_at',
};

/** Extra columns a transition may set, by column name. */
export type TransitionPatch = Partial<{
  assigned_user_id: string;
  reserved_user_id: string | null;
  agent_id: string;
  template_id: string | null;
  vm_id: string;
  last_error: string | null;
}>;

export interface TransitionRow {
  id: string;
  pool_id: string;
  agent_id: string | null;
  vm_id: string | null;
  assigned_user_id: string | null;
  state: S;
}

/**
 * Moves one desktop from one of `from` to `to` with a guarded UPDATE (… WHERE state IN
 * (expected)): of two brokers racing for the same change, exactly one gets the row. The
 * change and its audit record share the caller's transaction.
 */
@Injectable()
export class DesktopStateMachine {
  constructor(
    private readonly audit: AuditService,
    private readonly metrics: BrokerMetrics,
  ) {}

  async move(
    tx: EntityManager,
    id: string,
    from: readonly S[],
    to: S,
    actor: Actor,
    patch: TransitionPatch = {},
    details: Record<string, unknown> = {},
  ): Promise<TransitionRow | null> {
    const allowed = from.filter((f) => TRANSITIONS[f].includes(to));
    if (allowed.length === 0) throw new Error(`no transition from ${from.join('|')} to ${to}`);
    const sets = ['state = $2', 'updated_at = now()'];
    const params: unknown[] = [id, to, allowed];
    const stamp = STAMP[to];
    if (stamp) sets.push(`${stamp} = now()`);
    for (const [col, value] of Object.entries(patch)) {
      params.push(value);
      sets.push(`${col} = $${params.length}`);
    }
    // The old state comes from a self-join on the locked row, so the audit names it exactly.
    const rows = (await tx.query(
      `UPDATE desktops d SET ${sets.join(', ')}
         FROM (SELECT id, state FROM desktops WHERE id = $1 FOR UPDATE) old
        WHERE d.id = old.id AND old.state = ANY($3::desktop_state[])
        RETURNING d.id, d.pool_id, d.agent_id, d.vm_id, d.assigned_user_id, old.state AS from_state`,
      params,
    )) as [(TransitionRow & { from_state: S })[], number];
    const row = rows[0][0];
    if (!row) return null;
    this.metrics.transitions.inc({ from: row.from_state, to });
    await this.audit.record(tx, actor, {
      action: `desktop.${to}`,
      targetType: 'desktop',
      targetId: id,
      details: { from: row.from_state, to, poolId: row.pool_id, ...details },
    });
    return { ...row, state: to };
  }

  /** Records the birth of a desktop row (inserted in state `forking`). */
  async created(
    tx: EntityManager,
    id: string,
    poolId: string,
    actor: Actor,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    this.metrics.transitions.inc({ from: 'none', to: S.Forking });
    await this.audit.record(tx, actor, {
      action: `desktop.${S.Forking}`,
      targetType: 'desktop',
      targetId: id,
      details: { to: S.Forking, poolId, ...details },
    });
  }

  /**
   * Moves the owner's session state of an assigned desktop (connected / disconnected /
   * logged_off), stamping the disconnect time, audited as `desktop.session.<state>`. Only
   * from `from` (null: not connected since assignment); false when it was not there.
   */
  async session(
    tx: EntityManager,
    id: string,
    from: readonly (SessionState | null)[],
    to: SessionState,
    actor: Actor,
    details: Record<string, unknown> = {},
  ): Promise<boolean> {
    const rows = (await tx.query(
      `UPDATE desktops SET session_state = $2::session_state, updated_at = now(),
              disconnected_at = CASE WHEN $2::session_state = 'connected' THEN NULL ELSE now() END
        WHERE id = $1 AND state = ANY($5)
          AND (session_state = ANY($3::session_state[]) OR ($4 AND session_state IS NULL))
        RETURNING pool_id`,
      [id, to, from.filter((f) => f !== null), from.includes(null), ASSIGNED_STATES],
    )) as [{ pool_id: string }[], number];
    const row = rows[0][0];
    if (!row) return false;
    await this.audit.record(tx, actor, {
      action: `desktop.session.${to}`,
      targetType: 'desktop',
      targetId: id,
      details: { poolId: row.pool_id, ...details },
    });
    return true;
  }
}
