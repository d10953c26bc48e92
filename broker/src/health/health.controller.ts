import { Controller, Get, Header, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DesktopState } from '@forkdesk/db';
import { DataSource } from 'typeorm';
import { Public } from '../auth/roles.decorator';
import { BrokerMetrics } from './metrics';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    private readonly metrics: BrokerMetrics,
  ) {}

  /** Up and able to reach the database. */
  @Get('health')
  async health(): Promise<{ status: 'ok'; db: 'ok' }> {
    try {
      await this.ds.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException('database unreachable');
    }
    return { status: 'ok', db: 'ok' };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    const rows = (await this.ds.query(
      `SELECT state::text AS state, count(*)::int AS n FROM desktops
        WHERE state <> $1 GROUP BY state`,
      [DesktopState.Destroyed],
    )) as { state: string; n: number }[];
    this.metrics.desktops.reset();
    for (const r of rows) this.metrics.desktops.set({ state: r.state }, r.n);
    return this.metrics.registry.metrics();
  }
}
