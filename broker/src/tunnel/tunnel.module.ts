import { Module } from '@nestjs/common';
import { TunnelKey } from './tunnel-key';
import { TunnelGateway } from './tunnel.gateway';
import { TunnelService } from './tunnel.service';

@Module({
  providers: [TunnelKey, TunnelService, TunnelGateway],
  exports: [TunnelService, TunnelGateway, TunnelKey],
})
export class TunnelModule {}
