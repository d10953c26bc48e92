import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HOLDING_A_VM } from '../lifecycle/desktop-states';

/** What a pool's view reads beyond its own row. */
@Injectable()
export class PoolsRepository {
  constructor(private readonly ds: DataSource) {}

  /** The pool's desktops that hold a VM, counted by state. */
  async desktopCounts(poolId: string): Promise<Record<string, number>> {
    const rows = (await this.ds.query(
      `SELECT state::text AS state, count(*)::int AS n FROM desktops
        WHERE pool_id = $1 AND state = ANY($2) GROUP BY state`,
      [poolId, HOLDING_A_VM],
    )) as { state: string; n: number }[];
    return Object.fromEntries(rows.map((c) => [c.state, c.n]));
  }
}
