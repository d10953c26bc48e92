// On this host's real cgroup hierarchy: a process placed in its VM's group has the memory
// limit, and the group, then the engine's subtree, go with remove and dispose.
import { readFileSync } from 'fs';
import { join } from 'path';
import { placeAndRemove } from '../testing/cgroup-process';
import { Cgroups, detectCgroups } from './cgroup';

const mode = detectCgroups();
const scope = `mem-spec-${process.pid}`;

it('limits a VM process in its own group, then removes the group and the subtree', async () => {
  if (mode.kind === 'none') throw new Error(mode.reason);
  const groups = new Cgroups(mode, scope);
  const left = await placeAndRemove(groups, mode.base, scope, (pid, dir) => {
    groups.place('vm-1', pid, 64);
    const limit = mode.kind === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
    expect(Number(readFileSync(join(dir, limit), 'utf8'))).toBe(64 * 1024 * 1024);
    expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(pid));
  });
  expect(left).toEqual({ group: false, subtree: false });
});
