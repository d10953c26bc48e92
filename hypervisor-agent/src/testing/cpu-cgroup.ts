// What the kernel says about a process's CPU, for the CPU limit specs: the CPU group it is in
// (on the hierarchy the agent uses), the bandwidth limit set there, and the CPU time it used.
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { ownCgroupPath } from '../cgroup/tree';
import { detectCpuGroups } from '../cpu/cpu-weights';

export interface CpuGroup {
  kind: 'v1' | 'v2';
  dir: string;
}

/** The CPU group of process `pid`, from /proc/<pid>/cgroup. */
export function cpuGroupOf(pid: number): CpuGroup {
  const mode = detectCpuGroups();
  if (mode.kind === 'none') throw new Error(mode.reason);
  const self = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  const path = ownCgroupPath(self, mode.kind === 'v2' ? 'v2' : 'cpu');
  if (path === undefined) throw new Error(`process ${pid} is in no CPU group`);
  const root =
    mode.kind === 'v1'
      ? '/sys/fs/cgroup/cpu'
      : existsSync('/sys/fs/cgroup/cgroup.controllers')
        ? '/sys/fs/cgroup'
        : '/sys/fs/cgroup/unified';
  return { kind: mode.kind, dir: join(root, path) };
}

/** The group's CPU limit in percent of one core, or undefined without one. */
export function cpuLimitOf(g: CpuGroup): number | undefined {
  const read = (f: string): string => readFileSync(join(g.dir, f), 'utf8').trim();
  const [quota = 'max', period = '100000'] =
    g.kind === 'v2'
      ? read('cpu.max').split(' ')
      : [read('cpu.cfs_quota_us'), read('cpu.cfs_period_us')];
  if (quota === 'max' || Number(quota) < 0) return undefined;
  return Math.round((Number(quota) * 100) / Number(period));
}

/** CPU time process `pid` used so far (all its threads, user + system), in milliseconds. */
export function cpuTimeMs(pid: number): number {
  // The fields after the command name, which is in parentheses and may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime (fields 14 and 15 of proc(5)), in USER_HZ ticks: 100 a second on Linux.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
