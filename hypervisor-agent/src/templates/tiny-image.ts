// The tiny test image (infra/src/images): built (or found in its cache) by the infra script
// and imported under a version named after its content hash. Used by tests, the bench and
// the KVM probe.
import { execFile } from 'child_process';
import { join } from 'path';
import { promisify } from 'util';
import { ImageSource } from './images';

const run = promisify(execFile);

export const TINY_READY_CHECK = ['test', '-s', '/run/counter'];

/** Path of the infra build script, from this file in src/ or dist/. */
export function tinyImageScript(): string {
  return join(__dirname, '..', '..', '..', 'infra', 'src', 'images', 'build.ts');
}

export async function buildTinyImage(
  repoRoot = join(__dirname, '..', '..', '..'),
): Promise<{ version: string; source: ImageSource }> {
  const { stdout } = await run('npx', ['tsx', tinyImageScript()], {
    cwd: repoRoot,
    maxBuffer: 1 << 20,
  });
  const m = JSON.parse(stdout.trim().split('\n').pop() ?? '') as ImageSource & { hash: string };
  return {
    version: `tiny-${m.hash}`,
    source: {
      kernel: m.kernel,
      initrd: m.initrd,
      disk: m.disk,
      append: m.append,
      hash: m.hash,
      readyCheck: TINY_READY_CHECK,
    },
  };
}
