// Heartbeat: what an agent reports to the broker, periodically, about what it really runs.

import type { ChildInfo, HostCapacity, TemplateInfo } from './api';

/** Where the agent posts heartbeats; `:agentId` is replaced by its enrolled id. */
export const BROKER_HEARTBEAT_PATH = '/v1/agents/:agentId/heartbeat';

export interface Heartbeat {
  agentId: string;
  agentVersion: string;
  /** ISO time the agent built this payload. */
  sentAt: string;
  capacity: HostCapacity;
  /** Every VM the agent runs right now, including ones re-adopted after a restart. */
  vms: ChildInfo[];
  templates: TemplateInfo[];
}

/** A disk lease the broker renewed: the child `vmId` may keep its disk until `expiresAt`. */
export interface LeaseRenewal {
  vmId: string;
  /** ISO time. */
  expiresAt: string;
}

/** The broker's answer to a heartbeat. */
export interface HeartbeatReply {
  /** VMs no desktop names, being destroyed. */
  orphans: number;
  /** Desktops the agent no longer runs. */
  lost: number;
  /** Every disk lease held by this agent's children, with its new expiry. */
  leases: LeaseRenewal[];
}

export function brokerHeartbeatPath(agentId: string): string {
  return BROKER_HEARTBEAT_PATH.replace(':agentId', encodeURIComponent(agentId));
}
