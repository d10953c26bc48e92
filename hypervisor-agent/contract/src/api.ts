// HTTP API types shared by the hypervisor agent (server) and the broker (client).

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
  memory?: MemoryUsage;
}

export interface CreateTemplateRequest {
  imageVersion: string;
  shape?: VmShape;
}

export interface ForkRequest {
  templateId: string;
  count?: number;
}

export interface Personalization {
  hostname?: string;
  /** Shown on the desktop and used as the login name where the image supports it. */
  userName?: string;
  /** Path of the user's persistent qcow2 disk on the host; hot-plugged and mounted at the home. */
  persistentDisk?: string;
  /** Set the guest clock from the host's (default true). */
  syncClock?: boolean;
}

export interface ExecRequest {
  command: string[];
  timeoutMs?: number;
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
