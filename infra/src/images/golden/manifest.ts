// The image version manifest (manifest.json beside the qcow2): its package list, sizes and
// checks. Its types are the broker's contract's: the broker stores it when a version is imported.
import type { GoldenManifest, ImageSizes, PackageVersion } from '@forkdesk/broker-contract';

export type { GoldenManifest, ImageSizes, PackageVersion };

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
