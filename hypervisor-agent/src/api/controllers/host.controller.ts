import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { HealthStatus, Heartbeat, HostCapacity } from '@forkdesk/agent-contract';
import { ENGINE, type EnginePort } from '../../engine/engine.port';
import { buildHeartbeat } from '../../enrollment/heartbeat';
import { AgentMetrics } from '../../metrics/agent-metrics';
import { HealthModel, HeartbeatModel, HostCapacityModel } from '../dto/responses.dto';
import { AGENT_IDENTITY, type AgentIdentity } from '../tokens';

@ApiTags('host')
@Controller()
export class HostController {
  constructor(
    @Inject(ENGINE) private readonly engine: EnginePort,
    @Inject(AGENT_IDENTITY) private readonly identity: AgentIdentity,
    private readonly metrics: AgentMetrics,
  ) {}

  /** Liveness; the only route without auth. */
  @Get('health')
  @ApiOkResponse({ type: HealthModel })
  health(): HealthStatus {
    return {
      status: 'ok',
      agentVersion: this.identity.agentVersion,
      uptimeS: Math.round((Date.now() - this.identity.startedAt) / 1000),
    };
  }

  @Get('v1/host/capacity')
  @ApiBearerAuth()
  @ApiOkResponse({ type: HostCapacityModel })
  capacity(): Promise<HostCapacity> {
    return this.engine.capacity();
  }

  /** The heartbeat payload, for a broker that pulls instead of waiting for the push. */
  @Get('v1/heartbeat')
  @ApiBearerAuth()
  @ApiOkResponse({ type: HeartbeatModel })
  heartbeat(): Promise<Heartbeat> {
    return buildHeartbeat(this.engine, this.identity.agentId, this.identity.agentVersion);
  }

  @Get('metrics')
  @ApiBearerAuth()
  @ApiProduces('text/plain')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.render(this.engine);
  }
}
