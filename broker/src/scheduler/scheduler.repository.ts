import { Injectable } from '@nestjs/common';
import { DesktopState as S } from '@forkdesk/db';
import { DataSource, type EntityManager } from 'typeorm';
import { ASSIGNED_STATES, HOLDING_A_VM } from '../lifecycle/desktop-states';

/** What the periodic jobs look for in the desktops table. */
@Injectable()
export class SchedulerRepository {
  constructor(private readonly ds: DataSource) {}

  /** Desktops forking for longer than `timeoutS`. */
  async stuckForks(timeoutS: number): Promise<string[]> {
    const rows = (await this.ds.query(
      `SELECT id FROM desktops WHERE state = $2 AND created_at < now() - make_interval(secs => $1)`,
      [timeoutS, S.Forking],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Desktops `destroying` for more than 30 s (their destroy failed; tried again). */
  async stuckDestroys(): Promise<string[]> {
    const rows = (await this.ds.query(
      `SELECT id FROM desktops WHERE state = $1 AND updated_at < now() - interval '30 seconds'`,
      [S.Destroying],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /**
   * Assigned desktops whose owner is disconnected (or never connected since assignment) for
   * longer than their pool's timeout at `now`, and those kept after logoff in a pool that is
   * floating now.
   */
  async disconnectedTooLong(now: Date): Promise<string[]> {
    const rows = (await this.ds.query(
      `SELECT d.id FROM desktops d JOIN pools p ON p.id = d.pool_id
        WHERE d.state = ANY($2) AND p.idle_timeout_min > 0
          AND (d.session_state IS NULL OR d.session_state = 'disconnected'
               -- kept while the pool was dedicated; it is floating now
               OR (d.session_state = 'logged_off' AND p.assignment_mode = 'floating'))
          AND COALESCE(d.disconnected_at, d.assigned_at) < $1::timestamptz - make_interval(mins => p.idle_timeout_min)`,
      [now, ASSIGNED_STATES],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /**
   * The pool's desktops on another version than `versionId` that nobody uses, locked: ready
   * spares and dedicated desktops kept after logoff.
   */
  async lockStale(tx: EntityManager, poolId: string, versionId: string): Promise<string[]> {
    const rows = (await tx.query(
      `SELECT id FROM desktops WHERE pool_id = $1 AND image_version_id <> $2
          AND (state = $3 OR (state = ANY($4) AND session_state = 'logged_off'))
        FOR UPDATE SKIP LOCKED`,
      [poolId, versionId, S.Ready, ASSIGNED_STATES],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /**
   * The pool's free spares (ready on `versionId`, or forking, for no one: a spare held for a
   * user is not free) and the desktops that count against its maximum (HOLDING_A_VM, held
   * spares included).
   */
  async spareCounts(
    tx: EntityManager,
    poolId: string,
    versionId: string,
  ): Promise<{ spares: number; live: number }> {
    const [c] = (await tx.query(
      `SELECT count(*) FILTER (WHERE reserved_user_id IS NULL AND
                                 ((state = $3 AND image_version_id = $2) OR state = $4))::int AS spares,
              count(*) FILTER (WHERE state = ANY($5))::int AS live
         FROM desktops WHERE pool_id = $1`,
      [poolId, versionId, S.Ready, S.Forking, HOLDING_A_VM],
    )) as { spares: number; live: number }[];
    return c;
  }
}
