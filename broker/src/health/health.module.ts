import { Global, Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { BrokerMetrics } from './metrics';

@Global()
@Module({ controllers: [HealthController], providers: [BrokerMetrics], exports: [BrokerMetrics] })
export class HealthModule {}
