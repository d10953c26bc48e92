import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AgentsModule } from '../agents/agents.module';
import { DesktopsModule } from '../desktops/desktops.module';
import { NightlyRefresh } from './nightly-refresh.service';
import { PoolReconciler } from './pool-reconciler.service';
import { SchedulerRepository } from './scheduler.repository';
import { SchedulerService } from './scheduler.service';

@Module({
  imports: [ScheduleModule.forRoot(), AgentsModule, DesktopsModule],
  providers: [SchedulerService, SchedulerRepository, PoolReconciler, NightlyRefresh],
  exports: [SchedulerService, PoolReconciler, NightlyRefresh],
})
export class SchedulerModule {}
