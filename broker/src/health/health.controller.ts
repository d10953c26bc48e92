import { Controller, Get, Header, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../common/roles.decorator';
import { HealthRepository } from './health.repository';
import { BrokerMetrics } from '../common/metrics';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly repo: HealthRepository,
    private readonly metrics: BrokerMetrics,
  ) {}

  /** Up and able to reach the database. */
  @Get('health')
  async health(): Promise<{ status: 'ok'; db: 'ok' }> {
    try {
      await this.repo.ping();
    } catch {
      throw new ServiceUnavailableException('database unreachable');
    }
    return { status: 'ok', db: 'ok' };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    const rows = await this.repo.desktopsByState();
    this.metrics.desktops.reset();
    for (const r of rows) this.metrics.desktops.set({ state: r.state }, r.n);
    return this.metrics.registry.metrics();
  }
}
