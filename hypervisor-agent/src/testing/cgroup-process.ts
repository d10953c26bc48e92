import { spawn } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import type { CgroupTree } from '../cgroup/tree';

/**
 * A process for a cgroup spec (`sleep`, or `command`): `use` places it in group `vm-1` of
 * `tree` (made on `base`/`scope`) and checks it; then it is killed, the group removed and the
 * tree disposed. Resolves with whether the group and the subtree are still there (both should
 * be gone).
 */
export async function placeAndRemove(
  tree: CgroupTree,
  base: string,
  scope: string,
  use: (pid: number, dir: string) => void | Promise<void>,
  command = ['sleep', '30'],
): Promise<{ group: boolean; subtree: boolean }> {
  const [bin = 'sleep', ...args] = command;
  const proc = spawn(bin, args, { stdio: 'ignore' });
  const dir = join(base, scope, 'vm-1');
  try {
    await use(proc.pid!, dir);
  } finally {
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
    await tree.remove('vm-1');
    await tree.dispose();
  }
  return { group: existsSync(dir), subtree: existsSync(join(base, scope)) };
}
