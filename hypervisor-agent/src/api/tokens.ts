/** Who this agent is, for health and heartbeats. */
export interface AgentIdentity {
  agentId: string;
  agentVersion: string;
  startedAt: number;
}

export const AGENT_IDENTITY = Symbol('AgentIdentity');
