import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { TunnelModule } from '../tunnel/tunnel.module';
import { AdminSessionsController, MyDesktopsController } from './desktops.controller';
import { DesktopsService } from './desktops.service';
import { ForkService } from './fork.service';
import { PoolEvents } from './pool-events';

@Module({
  imports: [AgentsModule, TunnelModule],
  controllers: [MyDesktopsController, AdminSessionsController],
  providers: [DesktopsService, ForkService, PoolEvents],
  exports: [DesktopsService, ForkService, PoolEvents],
})
export class DesktopsModule {}
