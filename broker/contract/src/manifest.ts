// The image version manifest (manifest.json beside the qcow2): what infra's image builders
// write, what the broker stores when a version is imported, and what an agent needs to boot it.

/** What every built image has: the tiny test image writes exactly this. */
export interface ImageManifest {
  name: string;
  /** Hash of the recipe and its inputs: the cache key, and the version's `recipeHash`. */
  hash: string;
  kernel: string;
  initrd: string;
  disk: string;
  /** Kernel command line the image needs. */
  append: string;
  kernelRelease: string;
  createdAt: string;
}

export interface PackageVersion {
  name: string;
  version: string;
}

export interface ImageSizes {
  /** Bytes the qcow2 file takes. */
  diskBytes: number;
  /** The disk as the guest sees it. */
  virtualBytes: number;
  kernelBytes: number;
  initrdBytes: number;
  /** disk + kernel + initrd, MiB (the image budget counts this). */
  totalMiB: number;
}

/** A desktop image (built with mmdebstrap, or imported from a qcow2). */
export interface GoldenManifest extends ImageManifest {
  kind: 'built' | 'imported';
  /** Guest command that exits 0 when the image may be frozen. */
  readyCheck: string[];
  /** Guest program run after each fork; absent on admin images that have none. */
  forkHook?: string;
  /** Guest program run as `<hook> WIDTH HEIGHT` to resize the desktop. */
  resizeHook?: string;
  sizes: ImageSizes;
  buildSeconds: number;
  packages: PackageVersion[];
  /** Where a built image's packages came from. */
  source?: { suite: string; variant: string; mirror: string };
}

/**
 * A manifest as the broker accepts it on import: an admin's own may carry only what booting
 * needs (hash and disk; kernel, initrd and append when it boots directly). Other fields are
 * kept as given.
 */
export type ImportedManifest = Pick<ImageManifest, 'hash' | 'disk'> &
  Partial<Pick<ImageManifest, 'kernel' | 'initrd' | 'append'>> & {
    [key: string]: unknown;
  };
