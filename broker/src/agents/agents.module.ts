import { Module } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { AGENT_CLIENT, HttpAgentClient } from './agent-client';
import { AdminAgentsController, AgentApiController } from './agents.controller';
import { AgentsService } from './agents.service';
import { PlacementService } from './placement';

@Module({
  controllers: [AdminAgentsController, AgentApiController],
  providers: [
    AgentsService,
    PlacementService,
    {
      provide: AGENT_CLIENT,
      useFactory: (c: BrokerConfig) =>
        new HttpAgentClient(c.agents.requestTimeoutMs, c.agents.templateTimeoutMs),
      inject: [BROKER_CONFIG],
    },
  ],
  exports: [AgentsService, PlacementService, AGENT_CLIENT],
})
export class AgentsModule {}
