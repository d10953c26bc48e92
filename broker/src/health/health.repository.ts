import { Injectable } from '@nestjs/common';
import { DesktopState } from '@forkdesk/db';
import { DataSource } from 'typeorm';

/** What the health and metrics routes read from the database. */
@Injectable()
export class HealthRepository {
  constructor(private readonly ds: DataSource) {}

  /** Resolves when the database answers through the pool. */
  async ping(): Promise<void> {
    await this.ds.query('SELECT 1');
  }

  /** Desktops by state, all brokers' (destroyed ones are history, not counted). */
  async desktopsByState(): Promise<{ state: string; n: number }[]> {
    return (await this.ds.query(
      `SELECT state::text AS state, count(*)::int AS n FROM desktops
        WHERE state <> $1 GROUP BY state`,
      [DesktopState.Destroyed],
    )) as { state: string; n: number }[];
  }
}
