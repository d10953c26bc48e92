// Golden images and their versions: `/api/admin/images`, `/api/admin/versions`.
import type { ImageVersionState } from './enums';
import type { Time } from './time';

export interface ImageView<T extends Time = string> {
  id: string;
  name: string;
  description: string;
  createdAt: T;
  /** The version pools following this image fork from, if any is published. */
  currentVersionId: string | null;
}

export interface VersionView<T extends Time = string> {
  id: string;
  imageId: string;
  version: number;
  state: ImageVersionState;
  recipeHash: string | null;
  diskPath: string;
  sizeBytes: number;
  publishedAt: T | null;
  createdAt: T;
}

export interface CreateImageRequest {
  name: string;
  description?: string;
}

/** Either the path of a manifest file on the broker's host, or the manifest itself. */
export interface ImportVersionRequest {
  manifestPath?: string;
  manifest?: Record<string, unknown>;
}

export type VersionAction = 'publish' | 'rollback' | 'retire';
