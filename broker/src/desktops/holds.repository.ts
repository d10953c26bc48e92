import { Injectable } from '@nestjs/common';
import { DesktopState as S } from '@forkdesk/db';
import { DataSource, type EntityManager } from 'typeorm';

/** A desktop's preparation as the database has it (an open waiting on another broker's hook). */
export interface PrepState {
  state: S;
  personalizedAt: Date | null;
  lastError: string | null;
}

/** The SQL of held spares and of the personalization mark. */
@Injectable()
export class HoldsRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Serializes "open" and "hold" of one user in one pool until the transaction ends (two tabs,
   * sign-in and the list at once, an open racing its own hold): the second sees the first's
   * desktop. Two-key advisory locks live apart from the leader's one-key lock.
   */
  async lockUserPool(tx: EntityManager, userId: string, poolId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, [userId, poolId]);
  }

  /** Marks a locked free spare held for `userId` for `ttlS`; false when it is not free now. */
  async hold(tx: EntityManager, desktopId: string, userId: string, ttlS: number): Promise<boolean> {
    const [rows] = (await tx.query(
      `UPDATE desktops SET reserved_user_id = $2, held_until = now() + make_interval(secs => $3),
              updated_at = now()
        WHERE id = $1 AND state = $4 AND reserved_user_id IS NULL RETURNING id`,
      [desktopId, userId, ttlS, S.Ready],
    )) as [unknown[], number];
    return rows.length === 1;
  }

  /** Held spares whose time is up. */
  async expired(): Promise<string[]> {
    const rows = (await this.ds.query(
      `SELECT id FROM desktops WHERE state = $1 AND held_until < now()`,
      [S.Ready],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  async markPersonalized(desktopId: string): Promise<void> {
    await this.ds.query(`UPDATE desktops SET personalized_at = now() WHERE id = $1`, [desktopId]);
  }

  async prepState(desktopId: string): Promise<PrepState | null> {
    const [r] = (await this.ds.query(
      `SELECT state, personalized_at, last_error FROM desktops WHERE id = $1`,
      [desktopId],
    )) as { state: S; personalized_at: Date | null; last_error: string | null }[];
    return r
      ? { state: r.state, personalizedAt: r.personalized_at, lastError: r.last_error }
      : null;
  }
}

/**
 * Ends the user's holds now (the scheduler destroys them at its next tick): a deleted user's
 * held spare must not lose its user and become a free spare carrying their identity. True
 * when there was one (the deletion waits for it).
 */
export async function releaseHolds(tx: EntityManager, userId: string): Promise<boolean> {
  const [rows] = (await tx.query(
    `UPDATE desktops SET held_until = now() - interval '1 second'
      WHERE reserved_user_id = $1 AND state = $2 RETURNING id`,
    [userId, S.Ready],
  )) as [unknown[], number];
  return rows.length > 0;
}
