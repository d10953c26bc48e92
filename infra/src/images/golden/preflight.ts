// Checks before a build starts, each failing with what to do about it.
import { execFileSync } from 'child_process';
import { statfsSync } from 'fs';

/** Host programs the golden image build needs, with their Debian packages. */
export const HOST_TOOLS: Record<string, string> = {
  mmdebstrap: 'mmdebstrap',
  'mkfs.ext4': 'e2fsprogs',
  'qemu-img': 'qemu-utils',
  du: 'coreutils',
  truncate: 'coreutils',
};

export function missingTools(have: (tool: string) => boolean = toolExists): string[] {
  return Object.entries(HOST_TOOLS)
    .filter(([tool]) => !have(tool))
    .map(([tool, pkg]) => `${tool} (Debian package ${pkg})`);
}

function toolExists(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function freeMiB(dir: string): number {
  const s = statfsSync(dir);
  return Math.floor((Number(s.bavail) * Number(s.bsize)) / (1024 * 1024));
}

export class PreflightError extends Error {
  override name = 'PreflightError';
}

export function preflight(dir: string, needMiB: number, isRoot = process.getuid?.() === 0): void {
  if (!isRoot) {
    throw new PreflightError(
      'building the golden image needs root (mmdebstrap --mode=root, and mkfs.ext4 -d must see root-owned files)',
    );
  }
  const missing = missingTools();
  if (missing.length) throw new PreflightError(`missing host tools: ${missing.join(', ')}`);
  const free = freeMiB(dir);
  if (free < needMiB) {
    throw new PreflightError(
      `not enough free disk space in ${dir}: ${free} MiB free, the build needs ${needMiB} MiB`,
    );
  }
}
