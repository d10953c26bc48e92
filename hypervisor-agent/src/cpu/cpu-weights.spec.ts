// On this host's real cgroup hierarchy (v2 or v1, whichever the agent would use): a process
// placed as a spare gets the spare weight, becomes a desktop, and its group goes with it.
import { readFileSync } from 'fs';
import { join } from 'path';
import { placeAndRemove } from '../testing/cgroup-process';
import { CPU_WEIGHTS, CpuWeights, detectCpuGroups } from './cpu-weights';

const mode = detectCpuGroups();
const scope = `cpu-spec-${process.pid}`;

function weightOf(dir: string): number {
  const file = mode.kind === 'v2' ? 'cpu.weight' : 'cpu.shares';
  return Number(readFileSync(join(dir, file), 'utf8').trim());
}

it('finds a CPU hierarchy it can write on this host', () => {
  // The agent runs as root here: a host without one would leave VMs unweighted (logged).
  expect(mode.kind).not.toBe('none');
});

it('weights a VM process as a spare, then as a desktop, and removes its group', async () => {
  if (mode.kind === 'none') throw new Error(mode.reason);
  const cpu = new CpuWeights(mode, scope);
  const key = mode.kind === 'v2' ? 'v2' : 'v1';
  const left = await placeAndRemove(cpu, mode.base, scope, (pid, dir) => {
    cpu.place('vm-1', pid, 'spare');
    expect(weightOf(dir)).toBe(CPU_WEIGHTS.spare[key]);
    expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(pid));
    cpu.setClass('vm-1', 'desktop');
    expect(weightOf(dir)).toBe(CPU_WEIGHTS.desktop[key]);
    expect(CPU_WEIGHTS.spare[key]).toBeLessThan(CPU_WEIGHTS.desktop[key]);
  });
  expect(left).toEqual({ group: false, subtree: false });
});
