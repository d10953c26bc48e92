import { Global, Module } from '@nestjs/common';
import { DatabaseWatch } from './database-watch';
import { HealthController } from './health.controller';
import { HealthRepository } from './health.repository';

@Global()
@Module({
  controllers: [HealthController],
  providers: [DatabaseWatch, HealthRepository],
  exports: [DatabaseWatch],
})
export class HealthModule {}
