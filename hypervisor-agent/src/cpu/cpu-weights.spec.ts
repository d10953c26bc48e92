// On this host's real cgroup hierarchy (v2 or v1, whichever the agent would use): a process
// placed as a spare gets the spare weight, becomes a desktop, and its group goes with it; a
// busy process given a CPU limit uses no more than it.
import { readFileSync } from 'fs';
import { join } from 'path';
import { placeAndRemove } from '../testing/cgroup-process';
import { cpuGroupOf, cpuLimitOf, cpuTimeMs } from '../testing/cpu-cgroup';
import { cpuQuotaUs } from './cpu-limit';
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

it('limits a busy VM process to its CPU limit', async () => {
  if (mode.kind === 'none') throw new Error(mode.reason);
  const cpu = new CpuWeights(mode, scope);
  const busy = ['sh', '-c', 'while :; do :; done'];
  const left = await placeAndRemove(
    cpu,
    mode.base,
    scope,
    async (pid, dir) => {
      expect(cpu.limit('vm-1', 20)).toBe(false); // no group yet: nothing to limit
      cpu.place('vm-1', pid, 'desktop');
      expect(cpu.limit('vm-1', 20)).toBe(true);
      if (mode.kind === 'v2')
        expect(readFileSync(join(dir, 'cpu.max'), 'utf8').trim()).toBe('20000 100000');
      else {
        expect(Number(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8'))).toBe(cpuQuotaUs(20));
        expect(Number(readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8'))).toBe(100_000);
      }
      expect(cpuGroupOf(pid).dir).toBe(dir);
      expect(cpuLimitOf(cpuGroupOf(pid))).toBe(20);
      // Unlimited, the loop would take a whole core: 1.5 s of it. Capped, at most about 0.3 s.
      const t0 = performance.now();
      const used0 = cpuTimeMs(pid);
      await new Promise((r) => setTimeout(r, 1500));
      const share = (cpuTimeMs(pid) - used0) / (performance.now() - t0);
      expect(share).toBeGreaterThan(0);
      expect(share).toBeLessThan(0.26);
    },
    busy,
  );
  expect(left).toEqual({ group: false, subtree: false });
});
