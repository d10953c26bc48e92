import { Inject, Injectable } from '@nestjs/common';
import { DesktopState } from '@forkdesk/db';
import type { EntityManager } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import type { AgentEndpoint } from './agent-client';

export interface Placement {
  agentId: string;
  endpoint: AgentEndpoint;
  /** Our row and the agent's own id of the ready template to fork. */
  templateId: string;
  agentTemplateId: string;
  freeMib: number;
}

/**
 * Children share their template's RAM; what a fork costs is the memory it will dirty. Until
 * the next heartbeat shows it, an in-flight fork is counted at this share of its size.
 */
const FORK_COST_SHARE = 0.25;

@Injectable()
export class PlacementService {
  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {}

  /** The live agent with a ready template for this version and shape and the most free memory. */
  async choose(
    tx: EntityManager,
    imageVersionId: string,
    vcpus: number,
    memoryMib: number,
  ): Promise<Placement | null> {
    const rows = (await tx.query(
      `SELECT a.id, a.api_url, a.api_token, t.id AS template_id, t.agent_template_id,
              a.available_mib - a.reserve_mib - COALESCE((
                SELECT sum(p.memory_mib * $5::float8)::int FROM desktops d JOIN pools p ON p.id = d.pool_id
                 WHERE d.agent_id = a.id AND d.state = $6), 0) AS free_mib
         FROM agents a
         JOIN templates t ON t.agent_id = a.id AND t.image_version_id = $1 AND t.vcpus = $2
                         AND t.memory_mib = $3 AND t.state = 'ready'
        WHERE a.state = 'active' AND a.api_url IS NOT NULL AND a.api_token IS NOT NULL
          AND a.last_heartbeat_at > now() - make_interval(secs => $4)
        ORDER BY free_mib DESC, a.id
        LIMIT 1`,
      [
        imageVersionId,
        vcpus,
        memoryMib,
        this.config.agents.heartbeatTimeoutS,
        FORK_COST_SHARE,
        DesktopState.Forking,
      ],
    )) as {
      id: string;
      api_url: string;
      api_token: string;
      template_id: string;
      agent_template_id: string;
      free_mib: number;
    }[];
    const r = rows[0];
    if (!r || r.free_mib < memoryMib * FORK_COST_SHARE) return null;
    return {
      agentId: r.id,
      endpoint: { apiUrl: r.api_url, apiToken: r.api_token },
      templateId: r.template_id,
      agentTemplateId: r.agent_template_id,
      freeMib: r.free_mib,
    };
  }
}
