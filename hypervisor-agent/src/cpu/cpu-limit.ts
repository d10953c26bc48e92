// A desktop's CPU limit (its pool's, in percent of one core) as CPU bandwidth of its cgroup:
// so much CPU time per 100 ms period, across all its QEMU threads. Pure: the values only.
import { cpuLimitProblem } from '@forkdesk/agent-contract';

/** The bandwidth period (the kernel's default): short enough that a capped guest stays smooth. */
export const CPU_PERIOD_US = 100_000;

/** A whole percent from the minimum to the template's `vcpus` × 100 (else RangeError: a 400). */
export function checkCpuLimit(percent: number, vcpus: number): number {
  const problem = cpuLimitProblem(percent, vcpus);
  if (problem) throw new RangeError(problem);
  return percent;
}

/** CPU time per period, in microseconds (v1 `cpu.cfs_quota_us`). */
export function cpuQuotaUs(percent: number): number {
  return (percent * CPU_PERIOD_US) / 100;
}

/** cgroup v2 `cpu.max`: "<quota> <period>". */
export function cpuMaxLine(percent: number): string {
  return `${cpuQuotaUs(percent)} ${CPU_PERIOD_US}`;
}
