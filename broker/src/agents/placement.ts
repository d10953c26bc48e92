import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { AgentsRepository, type PlacementCandidate } from './agents.repository';

/** Where a fork goes: the agent, and our row and the agent's own id of the template to fork. */
export type Placement = PlacementCandidate;

/**
 * Children share their template's RAM; what a fork costs is the memory it will dirty. Until
 * the next heartbeat shows it, an in-flight fork is counted at this share of its size.
 */
const FORK_COST_SHARE = 0.25;

@Injectable()
export class PlacementService {
  constructor(
    private readonly agents: AgentsRepository,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** The live agent with a ready template for this version and shape and the most free memory. */
  async choose(
    tx: EntityManager,
    imageVersionId: string,
    vcpus: number,
    memoryMib: number,
  ): Promise<Placement | null> {
    const best = await this.agents.placementCandidate(tx, {
      imageVersionId,
      vcpus,
      memoryMib,
      heartbeatTimeoutS: this.config.agents.heartbeatTimeoutS,
      forkCostShare: FORK_COST_SHARE,
    });
    return best && best.freeMib >= memoryMib * FORK_COST_SHARE ? best : null;
  }
}
