// Hosts as admins see them: `/api/admin/agents` (the agents' own API is @forkdesk/agent-contract).
import type { AgentState, DesktopState, TemplateState } from './enums';
import type { Time } from './time';

export interface AgentView<T extends Time = string> {
  id: string;
  name: string;
  state: AgentState;
  apiUrl: string | null;
  /** The display gateway's `host:port`. */
  gateway: string | null;
  accel: string | null;
  totalMib: number;
  availableMib: number;
  reserveMib: number;
  lastHeartbeatAt: T | null;
  /** Why it is draining, lost or refused (a sentence for admins); null when healthy. */
  problem: string | null;
  problemAt: T | null;
  templates: {
    id: string;
    imageVersionId: string;
    vcpus: number;
    memoryMib: number;
    state: TemplateState;
  }[];
  /** Its desktops that are not finished (destroyed and lost ones left out). */
  desktops: {
    id: string;
    state: DesktopState;
    vmId: string | null;
    privateMib: number | null;
    sharedMib: number | null;
  }[];
}

/** `POST /api/admin/agents/enrollment-tokens`: shown once, for `forkdesk-agent enroll`. */
export interface EnrollmentTokenView {
  token: string;
  agentId: string;
}
