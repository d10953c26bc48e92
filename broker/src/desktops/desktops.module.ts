import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { DisplaysModule } from '../displays/displays.module';
import { TunnelModule } from '../tunnel/tunnel.module';
import { AdminSessionsController, MyDesktopsController } from './desktops.controller';
import { DesktopsRepository } from './desktops.repository';
import { DesktopsService } from './desktops.service';
import { ForkService } from './fork.service';
import { HoldsRepository } from './holds.repository';
import { HoldsService } from './holds.service';
import { PoolEvents } from './pool-events';

@Module({
  imports: [AgentsModule, DisplaysModule, TunnelModule],
  controllers: [MyDesktopsController, AdminSessionsController],
  providers: [
    DesktopsService,
    DesktopsRepository,
    ForkService,
    PoolEvents,
    HoldsService,
    HoldsRepository,
  ],
  exports: [DesktopsService, DesktopsRepository, ForkService, PoolEvents, HoldsService],
})
export class DesktopsModule {}
