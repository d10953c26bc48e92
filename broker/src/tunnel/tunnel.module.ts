import { Module } from '@nestjs/common';
import { TunnelKey } from './tunnel-key';
import { TunnelGateway } from './tunnel.gateway';
import { TunnelRepository } from './tunnel.repository';
import { TunnelService } from './tunnel.service';

@Module({
  providers: [TunnelKey, TunnelRepository, TunnelService, TunnelGateway],
  exports: [TunnelService, TunnelGateway, TunnelKey],
})
export class TunnelModule {}
