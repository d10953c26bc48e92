import { Global, Module } from '@nestjs/common';
import { DatabaseWatch } from './database-watch';
import { HealthController } from './health.controller';
import { HealthRepository } from './health.repository';
import { BrokerMetrics } from './metrics';

@Global()
@Module({
  controllers: [HealthController],
  providers: [BrokerMetrics, DatabaseWatch, HealthRepository],
  exports: [BrokerMetrics, DatabaseWatch],
})
export class HealthModule {}
