// On this host's real cgroup hierarchy: a process placed in its VM's group has the memory
// limit, and the group, then the engine's subtree, go with remove and dispose.
import { spawn } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { Cgroups, detectCgroups } from './cgroup';

const mode = detectCgroups();
const scope = `mem-spec-${process.pid}`;

it('limits a VM process in its own group, then removes the group and the subtree', async () => {
  if (mode.kind === 'none') throw new Error(mode.reason);
  const groups = new Cgroups(mode, scope);
  const proc = spawn('sleep', ['30'], { stdio: 'ignore' });
  const pid = proc.pid!;
  const dir = join(mode.base, scope, 'vm-1');
  try {
    groups.place('vm-1', pid, 64);
    const limit = mode.kind === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
    expect(Number(readFileSync(join(dir, limit), 'utf8'))).toBe(64 * 1024 * 1024);
    expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(pid));
  } finally {
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
    await groups.remove('vm-1');
    await groups.dispose();
  }
  expect(existsSync(dir)).toBe(false);
  expect(existsSync(join(mode.base, scope))).toBe(false);
});
