// The image version manifest (manifest.json beside the qcow2): what the broker stores when the
// version is imported and what the agent needs to boot it.
import { ImageManifest } from '../tiny-image';

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

/** Parses `dpkg-query -W -f '${Package}\t${Version}\n'` output, sorted by name. */
export function parsePackageList(tsv: string): PackageVersion[] {
  const out: PackageVersion[] = [];
  for (const line of tsv.split('\n')) {
    if (!line.trim()) continue;
    const [name, version] = line.split('\t');
    if (!name || !version) throw new Error(`bad package list line: "${line}"`);
    out.push({ name: name.trim(), version: version.trim() });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const MiB = 1024 * 1024;

export function imageSizes(p: Omit<ImageSizes, 'totalMiB'>): ImageSizes {
  return { ...p, totalMiB: Math.round((p.diskBytes + p.kernelBytes + p.initrdBytes) / MiB) };
}

/** Checks a manifest read from disk has what booting it needs; returns it typed. */
export function validateManifest(value: unknown): GoldenManifest {
  const m = value as Partial<GoldenManifest> | null;
  const problems: string[] = [];
  if (!m || typeof m !== 'object') throw new Error('manifest is not a JSON object');
  for (const k of [
    'name',
    'hash',
    'kernel',
    'initrd',
    'disk',
    'append',
    'kernelRelease',
    'createdAt',
  ] as const) {
    if (typeof m[k] !== 'string' || !m[k]) problems.push(`${k} must be a non-empty string`);
  }
  if (m.kind !== 'built' && m.kind !== 'imported')
    problems.push('kind must be "built" or "imported"');
  if (!Array.isArray(m.readyCheck) || m.readyCheck.some((a) => typeof a !== 'string'))
    problems.push('readyCheck must be an array of strings');
  if (!m.sizes || typeof m.sizes.diskBytes !== 'number' || typeof m.sizes.virtualBytes !== 'number')
    problems.push('sizes.diskBytes and sizes.virtualBytes must be numbers');
  if (typeof m.buildSeconds !== 'number') problems.push('buildSeconds must be a number');
  if (!Array.isArray(m.packages)) problems.push('packages must be an array');
  if (problems.length) throw new Error(`invalid image manifest: ${problems.join('; ')}`);
  return m as GoldenManifest;
}
