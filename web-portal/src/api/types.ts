/** The broker's REST shapes (helpers/BROKER_API.md), as the portal reads them. */

export type Role = 'admin' | 'user';

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
}

export type DesktopState =
  'forking' | 'ready' | 'assigned' | 'in_use' | 'destroying' | 'destroyed' | 'lost';

export interface PoolSummary {
  id: string;
  name: string;
  vcpus: number;
  memoryMib: number;
}

export interface MyPool {
  pool: PoolSummary;
  desktop: null | {
    id: string;
    state: DesktopState;
    since: string;
    /** connected / disconnected (tab closed, kept until the pool's timeout) / logged_off (kept). */
    sessionState?: 'connected' | 'disconnected' | 'logged_off' | null;
    disconnectedAt?: string | null;
  };
}

export interface MyDesktop {
  id: string;
  state: DesktopState;
  poolId: string;
  lastError?: string;
}

export interface TunnelTicket {
  tunnelPath: string;
  token: string;
}

export type ImageVersionState = 'importing' | 'ready' | 'published' | 'retired' | 'failed';

export interface GoldenImage {
  id: string;
  name: string;
  description: string;
  createdAt?: string;
}

export interface ImageVersion {
  id: string;
  imageId: string;
  version: number;
  state: ImageVersionState;
  /** The image-builder manifest, when the broker includes it. */
  manifest?: Record<string, unknown>;
  recipeHash?: string | null;
  diskPath?: string;
  sizeBytes?: string | number;
  publishedAt?: string | null;
  createdAt?: string;
}

export type RefreshPolicy = 'on_logoff' | 'nightly' | 'never';
export type NetworkMode = 'restricted' | 'nat';
export type AssignmentMode = 'floating' | 'dedicated';

export interface PoolInput {
  name: string;
  imageId: string;
  vcpus: number;
  memoryMib: number;
  minSpare: number;
  maxSize: number;
  refreshPolicy: RefreshPolicy;
  idleTimeoutMin: number;
  networkMode: NetworkMode;
  assignmentMode: AssignmentMode;
  /** Each user's home on a disk of its own that follows them (one desktop at a time). */
  persistentHome: boolean;
}

export interface Pool extends PoolInput {
  id: string;
  imageVersionId?: string | null;
  effectiveVersionId?: string | null;
  /** Desktops of this pool by state (destroyed and lost ones not counted). */
  desktops?: Partial<Record<DesktopState, number>>;
}

export interface Entitlement {
  id: string;
  userId?: string | null;
  groupId?: string | null;
  /** Display name of the user or group, when the broker joins it. */
  name?: string;
}

export interface AdminUser extends User {
  createdAt?: string;
  lockedUntil?: string | null;
}

export interface Group {
  id: string;
  name: string;
  description?: string;
  members?: { id: string; username: string; displayName?: string }[];
}

export interface LiveSession {
  desktopId: string;
  state: DesktopState;
  userId: string;
  username: string;
  poolId: string;
  pool: string;
  agent: string | null;
  since: string | null;
  /** A control connection is open right now. */
  connected: boolean;
  privateMib: number | null;
  sharedMib: number | null;
}

export interface AgentTemplate {
  id: string;
  imageVersionId: string;
  vcpus: number;
  memoryMib: number;
  state: string;
}

export interface AgentDesktop {
  id: string;
  state: DesktopState;
  vmId: string | null;
  privateMib: number | null;
  sharedMib: number | null;
}

export interface Agent {
  id: string;
  name: string;
  state: 'enrolling' | 'active' | 'draining' | 'lost';
  apiUrl?: string | null;
  gateway?: string | null;
  accel?: string | null;
  totalMib: number;
  availableMib: number;
  reserveMib: number;
  lastHeartbeatAt: string | null;
  /** Why it is draining, lost or refused; null when healthy. */
  problem?: string | null;
  problemAt?: string | null;
  templates?: AgentTemplate[];
  desktops?: AgentDesktop[];
}

export interface AuditEvent {
  at: string;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  action?: string;
  actor?: string;
  since?: string;
  until?: string;
  limit?: number;
}
