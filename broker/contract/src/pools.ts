// Pools and their entitlements: `/api/admin/pools`.
import type { AssignmentMode, DesktopState, NetworkMode, RefreshPolicy } from './enums';

/** What an admin sets on a pool (every field; the broker defaults those a request leaves out). */
export interface PoolSettings {
  name: string;
  imageId: string;
  vcpus: number;
  memoryMib: number;
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
