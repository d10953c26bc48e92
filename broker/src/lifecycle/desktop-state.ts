import { Injectable } from '@nestjs/common';
import { DesktopState as S, SessionState } from '@forkdesk/db';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../common/actor';
import { BrokerMetrics } from '../common/metrics';
import { LifecycleRepository, type MovedRow, type TransitionPatch } from './lifecycle.repository';

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

export type { TransitionPatch } from './lifecycle.repository';

/** A desktop after a move: its row's facts and the state it is in now. */
export type TransitionRow = Omit<MovedRow, 'fromState'> & { state: S };

/**
 * Moves one desktop from one of `from` to `to` (LifecycleRepository.moveState: of two brokers
 * racing for the same change, exactly one gets the row), counted and audited; the change and
 * its audit record share the caller's transaction.
 */
@Injectable()
export class DesktopStateMachine {
  constructor(
    private readonly audit: AuditService,
    private readonly metrics: BrokerMetrics,
    private readonly repo: LifecycleRepository,
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
    const row = await this.repo.moveState(tx, id, allowed, to, patch);
    if (!row) return null;
    this.metrics.transitions.inc({ from: row.fromState, to });
    await this.audit.record(tx, actor, {
      action: `desktop.${to}`,
      targetType: 'desktop',
      targetId: id,
      details: { from: row.fromState, to, poolId: row.poolId, ...details },
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
    const poolId = await this.repo.moveSession(tx, id, from, to);
    if (!poolId) return false;
    await this.audit.record(tx, actor, {
      action: `desktop.session.${to}`,
      targetType: 'desktop',
      targetId: id,
      details: { poolId, ...details },
    });
    return true;
  }
}
