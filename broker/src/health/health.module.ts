import { Global, Module } from '@nestjs/common';
import { DatabaseWatch } from './database-watch';
import { HealthController } from './health.controller';
import { BrokerMetrics } from './metrics';

@Global()
@Module({
  controllers: [HealthController],
  providers: [BrokerMetrics, DatabaseWatch],
  exports: [BrokerMetrics, DatabaseWatch],
})
export class HealthModule {}
