import { Injectable } from '@nestjs/common';
import { Agent, AgentState, DesktopState } from '@forkdesk/db';
import { DataSource, type EntityManager } from 'typeorm';
import { HOLDING_A_VM, LOST_WITH_AGENT } from '../lifecycle/desktop-states';
import type { AgentEndpoint } from './agent-client';
import type { AgentView } from './agents.dto';

/** A desktop the agent should be running, as a heartbeat judges it. */
export interface HeldDesktop {
  id: string;
  vmId: string;
  state: DesktopState;
  readyAt: Date | null;
}

/** The live agent with a ready template that a fork would go to. */
export interface PlacementCandidate {
  agentId: string;
  endpoint: AgentEndpoint;
  templateId: string;
  agentTemplateId: string;
  freeMib: number;
}

interface CandidateRow {
  id: string;
  api_url: string;
  api_token: string;
  template_id: string;
  agent_template_id: string;
  free_mib: number;
}

/** The agents table and what the broker reads of an agent's desktops. */
@Injectable()
export class AgentsRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string): Promise<Agent | null> {
    return this.ds.getRepository(Agent).findOneBy({ id });
  }

  listByName(): Promise<Agent[]> {
    return this.ds.getRepository(Agent).find({ order: { name: 'ASC' } });
  }

  /** Puts `problem` on the agent's card; false when that very problem was shown already. */
  async setProblem(tx: EntityManager, agentId: string, problem: string): Promise<boolean> {
    const [rows] = (await tx.query(
      `UPDATE agents SET problem = $2, problem_at = now()
        WHERE id = $1 AND problem IS DISTINCT FROM $2 RETURNING id`,
      [agentId, problem],
    )) as [unknown[], number];
    return rows.length > 0;
  }

  /** Its desktops with a VM that still hold it (a heartbeat judges these by its list). */
  async heldDesktops(tx: EntityManager, agentId: string): Promise<HeldDesktop[]> {
    const rows = (await tx.query(
      `SELECT id, vm_id, state, ready_at FROM desktops
        WHERE agent_id = $1 AND vm_id IS NOT NULL AND state = ANY($2)`,
      [agentId, HOLDING_A_VM],
    )) as { id: string; vm_id: string; state: DesktopState; ready_at: Date | null }[];
    return rows.map((r) => ({ id: r.id, vmId: r.vm_id, state: r.state, readyAt: r.ready_at }));
  }

  /** The memory a running desktop dirtied and shares, as its agent measured it. */
  async setDesktopMemory(
    tx: EntityManager,
    desktopId: string,
    privateMib: number,
    sharedMib: number,
  ): Promise<void> {
    await tx.query(`UPDATE desktops SET private_mib = $2, shared_mib = $3 WHERE id = $1`, [
      desktopId,
      Math.round(privateMib),
      Math.round(sharedMib),
    ]);
  }

  /**
   * Agents in one of `from` silent for `silentS` move to `to` with `problem` on their card
   * (added to the problem shown, for a drain: it may say more than the silence).
   */
  async markSilent(
    tx: EntityManager,
    from: readonly AgentState[],
    to: AgentState,
    silentS: number,
    problem: string,
  ): Promise<{ id: string; name: string }[]> {
    const [rows] = (await tx.query(
      `UPDATE agents SET state = $3, problem_at = now(),
              problem = CASE WHEN $5::boolean THEN COALESCE(problem || ' ', '') || $2 ELSE $2 END
        WHERE state = ANY($4) AND last_heartbeat_at < now() - make_interval(secs => $1)
        RETURNING id, name`,
      [silentS, problem, to, from, to === AgentState.Draining],
    )) as [{ id: string; name: string }[], number];
    return rows;
  }

  /** The ids of its desktops that are lost with it (LOST_WITH_AGENT). */
  async desktopsLostWith(tx: EntityManager, agentId: string): Promise<string[]> {
    const rows = (await tx.query(
      `SELECT id FROM desktops WHERE agent_id = $1 AND state = ANY($2)`,
      [agentId, LOST_WITH_AGENT],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Its desktops that are not destroyed yet, locked (`npm run down` ends them). */
  async lockUndestroyedDesktops(
    tx: EntityManager,
    agentId: string,
  ): Promise<{ id: string; state: DesktopState }[]> {
    return (await tx.query(
      `SELECT id, state FROM desktops WHERE agent_id = $1 AND state <> $2 FOR UPDATE`,
      [agentId, DesktopState.Destroyed],
    )) as { id: string; state: DesktopState }[];
  }

  /** Drains an enrolled agent with `problem` on its card. */
  async drain(tx: EntityManager, agentId: string, problem: string): Promise<void> {
    await tx.query(
      `UPDATE agents SET state = $3, problem = $2, problem_at = now()
        WHERE id = $1 AND state <> $4`,
      [agentId, problem, AgentState.Draining, AgentState.Enrolling],
    );
  }

  /** The agent's card lists: templates not deleted, desktops that hold a VM. */
  async cardLists(agentId: string): Promise<Pick<AgentView, 'templates' | 'desktops'>> {
    const templates = (await this.ds.query(
      `SELECT id, image_version_id AS "imageVersionId", vcpus, memory_mib AS "memoryMib", state
         FROM templates WHERE agent_id = $1 AND state <> 'deleted' ORDER BY created_at`,
      [agentId],
    )) as AgentView['templates'];
    const desktops = (await this.ds.query(
      `SELECT id, state, vm_id AS "vmId", private_mib AS "privateMib", shared_mib AS "sharedMib"
         FROM desktops WHERE agent_id = $1 AND state = ANY($2) ORDER BY created_at`,
      [agentId, HOLDING_A_VM],
    )) as AgentView['desktops'];
    return { templates, desktops };
  }

  /** How to call the agent, with its name for the logs. */
  async endpoint(agentId: string): Promise<(AgentEndpoint & { name: string }) | null> {
    const [a] = (await this.ds.query(`SELECT name, api_url, api_token FROM agents WHERE id = $1`, [
      agentId,
    ])) as { name: string; api_url: string; api_token: string }[];
    return a ? { name: a.name, apiUrl: a.api_url, apiToken: a.api_token } : null;
  }

  /**
   * The live agent (heartbeat within `heartbeatTimeoutS`) with a ready template of this version
   * and shape and the most free memory, an in-flight fork counted at `forkCostShare` of its size.
   */
  async placementCandidate(
    tx: EntityManager,
    q: {
      imageVersionId: string;
      vcpus: number;
      memoryMib: number;
      heartbeatTimeoutS: number;
      forkCostShare: number;
    },
  ): Promise<PlacementCandidate | null> {
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
        q.imageVersionId,
        q.vcpus,
        q.memoryMib,
        q.heartbeatTimeoutS,
        q.forkCostShare,
        DesktopState.Forking,
      ],
    )) as CandidateRow[];
    const r = rows[0];
    if (!r) return null;
    return {
      agentId: r.id,
      endpoint: { apiUrl: r.api_url, apiToken: r.api_token },
      templateId: r.template_id,
      agentTemplateId: r.agent_template_id,
      freeMib: r.free_mib,
    };
  }
}
