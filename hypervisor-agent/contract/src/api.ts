// HTTP API types shared by the hypervisor agent (server) and the broker (client).
import type { NetworkMode } from '@forkdesk/broker-contract';

export type Accelerator = 'kvm' | 'tcg';

/** The size of a VM: what a pool's desktops get. */
export interface VmShape {
  vcpus: number;
  memoryMiB: number;
}

export type TemplateState = 'building' | 'ready' | 'failed';

export interface TemplateInfo {
  id: string;
  /** The image version the template was booted from. */
  imageVersion: string;
  shape: VmShape;
  accel: Accelerator;
  state: TemplateState;
  /** Size of the frozen device state (RAM is shared, not copied). */
  deviceStateBytes: number;
  buildMs: number;
  createdAt: string;
  /** Children currently forked from this template. */
  children: number;
  error?: string;
  /** Made by re-forking a VM whose RAM was private: its whole RAM was copied (not shared). */
  fullCopy?: boolean;
}

export type ChildState = 'starting' | 'running' | 'paused' | 'dead';

export interface MemoryUsage {
  /** Anonymous + swap: pages this VM owns alone. */
  privateMiB: number;
  /** Template file pages it maps; counted once per host. */
  sharedMiB: number;
}

export interface ChildInfo {
  id: string;
  templateId: string;
  pid: number;
  state: ChildState;
  /** The child's VNC unix socket, for the display gateway. */
  vncSocket: string;
  createdAt: string;
  /** Fork latency: from request to the child's guest agent answering. */
  forkMs: number;
  /** True when a pre-started (warm) process took the fork. */
  warm: boolean;
  /** The CPU limit its cgroup applies (see ForkRequest.cpuLimitPercent); absent: none. */
  cpuLimitPercent?: number;
  memory?: MemoryUsage;
}

/** An image version's files on the agent's host, as the image builder's manifest names them. */
export interface ImageSource {
  kernel: string;
  initrd: string;
  disk: string;
  /** Kernel command line. */
  append: string;
  /** Guest command that exits 0 once the image is ready to freeze (e.g. desktop up). */
  readyCheck?: string[];
  /** Content hash of the build, part of the template key. */
  hash: string;
  /**
   * The image's own fork hook (a path in the guest): personalization runs it with the user's
   * identity instead of the generic steps, so the image starts the user's session itself.
   */
  forkHook?: string;
  /**
   * Guest program that sets the desktop's resolution, run as `<resizeHook> WIDTH HEIGHT` when
   * the browser's viewport changes (QEMU's std VGA cannot be resized from the VNC side).
   */
  resizeHook?: string;
}

export interface CreateTemplateRequest {
  imageVersion: string;
  shape?: VmShape;
  /** Imports the version first when the agent does not know it yet (same hash: no-op). */
  image?: ImageSource;
}

/** A desktop's network: a pool's setting, so the broker's contract declares it. */
export type { NetworkMode };
/** CPU limits (ForkRequest.cpuLimitPercent) are a pool's setting too. */
export { cpuLimitProblem, MIN_CPU_LIMIT_PERCENT } from '@forkdesk/broker-contract';

export interface ForkRequest {
  templateId: string;
  count?: number;
  /** Default `restricted`. */
  network?: NetworkMode;
  /**
   * The most CPU each child may use, in percent of one core (50: half a core, 200: two
   * cores): MIN_CPU_LIMIT_PERCENT up to the template's vcpus × 100, a whole number. Applied
   * to the child's own cgroup for its whole life; absent: no limit.
   */
  cpuLimitPercent?: number;
  /**
   * A spare for later, which nobody waits for yet: the agent forks it after the forks and
   * personalizations someone waits for. Absent: someone waits (a desktop being opened, a CLI).
   */
  spare?: boolean;
  /**
   * Makes the fork safe to retry: a second request with the same key (while the agent runs)
   * answers the children the first one made, never forks again. The broker sends the
   * desktop's id.
   */
  idempotencyKey?: string;
}

/** What a fork request sets on its children (the broker takes it from the pool). */
export type ForkSettings = Pick<ForkRequest, 'network' | 'cpuLimitPercent' | 'spare'>;

export interface Personalization {
  hostname?: string;
  /** Shown on the desktop and used as the login name where the image supports it. */
  userName?: string;
  /** The user's full name, shown on desktops whose image has a fork hook. */
  fullName?: string;
  /** Path of the user's persistent qcow2 disk on the host; hot-plugged and mounted at the home. */
  persistentDisk?: string;
  /** Size of a blank persistent disk the agent creates when `persistentDisk` does not exist. */
  persistentDiskSizeMiB?: number;
  /**
   * ISO time the broker's lease on the persistent disk ends. Heartbeat replies move it on;
   * once it passes unrenewed, the agent destroys the child (fencing), so the disk is never
   * attached to two desktops.
   */
  leaseExpiresAt?: string;
  /** Set the guest clock from the host's (default true). */
  syncClock?: boolean;
}

export interface ExecRequest {
  command: string[];
  timeoutMs?: number;
}

/** Ends a desktop's display connections (of one user, when given) and its older tickets. */
export interface RevokeDisplayRequest {
  user?: string;
}

export interface RevokeDisplayResponse {
  /** Live connections that were closed. */
  closed: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface HostCapacity {
  hostname: string;
  accel: Accelerator;
  totalMiB: number;
  availableMiB: number;
  reserveMiB: number;
  children: number;
  templates: number;
  /** Private memory of all children together. */
  childrenPrivateMiB: number;
}

/** Error body of every non-2xx answer. */
export interface ApiError {
  statusCode: number;
  message: string;
}

/** Field-level validation messages, in 400 answers. */
export interface FieldError {
  field: string;
  messages: string[];
}

/** Error body with validation details (400). */
export interface ApiValidationError extends ApiError {
  errors: FieldError[];
}

/** Answer to POST /v1/children (fork from a template). */
export interface ForkResponse {
  children: ChildInfo[];
  /** Wall time of the whole request on the agent. */
  totalMs: number;
}

/** Body of POST /v1/vms/:id/fork (fork a running VM). */
export interface ForkRunningRequest {
  count?: number;
}

/** Answer to POST /v1/vms/:id/fork: the new frozen template, child 0 (the VM itself) first. */
export interface ForkRunningResponse {
  template: TemplateInfo;
  children: ChildInfo[];
  totalMs: number;
}

/** Answer to GET /health (no auth). */
export interface HealthStatus {
  status: 'ok';
  agentVersion: string;
  uptimeS: number;
}

/** Upper bound of `count` in one fork request. */
export const MAX_FORK_COUNT = 64;

/** HTTP routes of the agent API, relative to its base URL. */
export const AGENT_ROUTES = {
  health: '/health',
  metrics: '/metrics',
  docs: '/api/docs',
  docsJson: '/api/docs-json',
  templates: '/v1/templates',
  template: (id: string) => `/v1/templates/${encodeURIComponent(id)}`,
  children: '/v1/children',
  child: (id: string) => `/v1/children/${encodeURIComponent(id)}`,
  personalize: (id: string) => `/v1/children/${encodeURIComponent(id)}/personalize`,
  exec: (id: string) => `/v1/children/${encodeURIComponent(id)}/exec`,
  revokeDisplay: (id: string) => `/v1/children/${encodeURIComponent(id)}/display/revoke`,
  forkRunning: (id: string) => `/v1/vms/${encodeURIComponent(id)}/fork`,
  capacity: '/v1/host/capacity',
  heartbeat: '/v1/heartbeat',
} as const;
