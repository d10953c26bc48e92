// Pools and their entitlements: `/api/admin/pools`.
import type { AssignmentMode, DesktopState, NetworkMode, RefreshPolicy } from './enums';

/** What an admin sets on a pool (every field; the broker defaults those a request leaves out). */
export interface PoolSettings {
  name: string;
  imageId: string;
  vcpus: number;
  memoryMib: number;
  /**
   * The most CPU one desktop may use, in percent of one core (50: half a core, 200: two
   * cores), 10 up to `vcpus` × 100; null: no limit. Desktops keep the limit they were
   * forked with: a change applies to new ones.
   */
  cpuLimitPercent: number | null;
  minSpare: number;
  maxSize: number;
  refreshPolicy: RefreshPolicy;
  /** Disconnect timeout: minutes a desktop may stay without its owner connected (0: never). */
  idleTimeoutMin: number;
  networkMode: NetworkMode;
  assignmentMode: AssignmentMode;
  /** Each user's home on a disk of its own that follows them (one desktop at a time). */
  persistentHome: boolean;
}

/** The lowest CPU limit: under a tenth of a core a desktop cannot even draw its screen. */
export const MIN_CPU_LIMIT_PERCENT = 10;

/** Why `percent` is no CPU limit for desktops of `vcpus` vCPUs, or undefined when it is one. */
export function cpuLimitProblem(percent: number, vcpus: number): string | undefined {
  const max = vcpus * 100;
  if (Number.isInteger(percent) && percent >= MIN_CPU_LIMIT_PERCENT && percent <= max) return;
  const cpus = `${vcpus} vCPU${vcpus === 1 ? '' : 's'}`;
  return `cpuLimitPercent must be a whole number from ${MIN_CPU_LIMIT_PERCENT} to ${max} (${cpus} × 100), got ${percent}`;
}

/** `POST /api/admin/pools`: name and image, the rest defaulted; `imageVersionId` pins one. */
export type CreatePoolRequest = Pick<PoolSettings, 'name' | 'imageId'> &
  Partial<PoolSettings> & { imageVersionId?: string };

/** `PATCH /api/admin/pools/:id`: only what changes. */
export type UpdatePoolRequest = Partial<CreatePoolRequest>;

export interface PoolView extends PoolSettings {
  id: string;
  imageVersionId: string | null;
  /** The version new desktops fork from now (pinned, or the image's published one). */
  effectiveVersionId: string | null;
  /** Desktops of this pool by state (destroyed and lost ones not counted). */
  desktops: Partial<Record<DesktopState, number>>;
}

/** Exactly one of the two. */
export interface CreateEntitlementRequest {
  userId?: string;
  groupId?: string;
}

export interface EntitlementView {
  id: string;
  poolId: string;
  userId: string | null;
  groupId: string | null;
  /** The user's username or the group's name. */
  name: string;
}
