import { Module } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { AGENT_CLIENT, HttpAgentClient } from './agent-client';
import { AdminAgentsController, AgentApiController } from './agents.controller';
import { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';
import { TemplatesRepository } from './templates.repository';
import { PlacementService } from './placement';
import { PkiService } from './pki/pki.service';

@Module({
  controllers: [AdminAgentsController, AgentApiController],
  providers: [
    AgentsService,
    AgentsRepository,
    TemplatesRepository,
    PlacementService,
    PkiService,
    {
      provide: AGENT_CLIENT,
      useFactory: (c: BrokerConfig, pki: PkiService) =>
        new HttpAgentClient(
          c.agents.requestTimeoutMs,
          c.agents.templateTimeoutMs,
          () => pki.clientTls(),
          c.agents.prepareTimeoutMs,
        ),
      inject: [BROKER_CONFIG, PkiService],
    },
  ],
  exports: [
    AgentsService,
    AgentsRepository,
    TemplatesRepository,
    PlacementService,
    PkiService,
    AGENT_CLIENT,
  ],
})
export class AgentsModule {}
