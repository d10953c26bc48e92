import { DynamicModule, Module } from '@nestjs/common';
import { ENGINE, type EnginePort } from '../engine/engine.port';
import { ForkKeys } from '../fork/fork-keys';
import { DISPLAYS, type DisplayControl } from '../gateway/display-control';
import { AgentMetrics } from '../metrics/agent-metrics';
import { ChildrenController } from './controllers/children.controller';
import { HostController } from './controllers/host.controller';
import { TemplatesController } from './controllers/templates.controller';
import { VmsController } from './controllers/vms.controller';
import { AGENT_IDENTITY, type AgentIdentity } from './tokens';

export interface ApiModuleOptions {
  engine: EnginePort;
  displays: DisplayControl;
  identity: AgentIdentity;
  metrics: AgentMetrics;
  /** Default: kept in memory only. */
  forkKeys?: ForkKeys;
}

/** The HTTP API: thin controllers over the engine port. */
@Module({})
export class ApiModule {
  static register(opts: ApiModuleOptions): DynamicModule {
    return {
      module: ApiModule,
      controllers: [TemplatesController, ChildrenController, VmsController, HostController],
      providers: [
        { provide: ENGINE, useValue: opts.engine },
        { provide: DISPLAYS, useValue: opts.displays },
        { provide: AGENT_IDENTITY, useValue: opts.identity },
        { provide: AgentMetrics, useValue: opts.metrics },
        { provide: ForkKeys, useValue: opts.forkKeys ?? new ForkKeys() },
      ],
    };
  }
}
