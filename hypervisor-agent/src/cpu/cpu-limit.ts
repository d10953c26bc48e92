// A desktop's CPU limit (its pool's, in percent of one core) as CPU bandwidth of its cgroup:
// so much CPU time per 100 ms period, across all its QEMU threads. Pure: the values only.
import { MIN_CPU_LIMIT_PERCENT } from '@forkdesk/agent-contract';

/** The bandwidth period (the kernel's default): short enough that a capped guest stays smooth. */
export const CPU_PERIOD_US = 100_000;

/** A whole percent from the minimum to `vcpus` × 100 (RangeError otherwise: a 400). */
export function checkCpuLimit(percent: number, vcpus: number): number {
  const max = vcpus * 100;
  if (!Number.isInteger(percent) || percent < MIN_CPU_LIMIT_PERCENT || percent > max)
    throw new RangeError(
      `cpuLimitPercent must be a whole number from ${MIN_CPU_LIMIT_PERCENT} to ${max} ` +
        `(the template has ${vcpus} vCPU${vcpus === 1 ? '' : 's'}, 100 each), got ${percent}`,
    );
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
