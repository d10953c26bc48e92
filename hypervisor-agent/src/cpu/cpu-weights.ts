// CPU weights of the VMs: every VM in a CPU group of its own whose weight is far below the
// default of the broker, the agent and PostgreSQL (100 in cgroup v2, 1024 shares in v1), and a
// spare below a desktop someone uses. On a busy TCG host the guests would otherwise take nearly
// all CPU and sign-in and the API would stall. cgroup v2 cpu.weight when its cpu controller is
// usable, else the v1 cpu hierarchy's cpu.shares, else none (logged once with the reason).
// A pool may also cap each desktop's CPU (cpu-limit.ts): bandwidth in the same group.
import { writeFileSync } from 'fs';
import { join } from 'path';
import { CgroupTree, detectHierarchy, type CgroupMode } from '../cgroup/tree';
import { logger } from '../logger';
import { CPU_PERIOD_US, cpuMaxLine, cpuQuotaUs } from './cpu-limit';

/** A spare or template (no one waits on it) or a desktop given to a user. */
export type CpuClass = 'spare' | 'desktop';

/** cpu.weight (v2, 1..10000, default 100) and cpu.shares (v1, default 1024) per class. */
export const CPU_WEIGHTS: Record<CpuClass, { v2: number; v1: number }> = {
  spare: { v2: 5, v1: 50 },
  desktop: { v2: 25, v1: 256 },
};

/** Where VM CPU groups go: under this process's own group, as the memory groups do. */
export function detectCpuGroups(root?: string): CgroupMode {
  return detectHierarchy('cpu', 'cpu.shares', root);
}

export class CpuWeights extends CgroupTree {
  constructor(mode: CgroupMode, scope: string) {
    super(mode, scope, 'cpu', 'VMs run without a CPU weight');
  }

  /** Puts `pid` (a QEMU with all its threads) in the VM's own CPU group with the class's weight. */
  place(id: string, pid: number, cls: CpuClass): void {
    try {
      const dir = this.groupOf(id);
      if (!dir) return;
      this.write(dir, cls);
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    } catch (err) {
      logger.warn({ id, err: (err as Error).message }, 'could not give the VM its CPU weight');
    }
  }

  /** A spare becomes someone's desktop (or back): its weight follows. */
  setClass(id: string, cls: CpuClass): void {
    const dir = this.existing(id);
    if (!dir) return;
    try {
      this.write(dir, cls);
    } catch (err) {
      logger.warn({ id, err: (err as Error).message }, 'could not change the VM CPU weight');
    }
  }

  /**
   * Caps the VM's CPU at `percent` of one core for the rest of its life; false (logged) when
   * there is no CPU group to do it in.
   */
  limit(id: string, percent: number): boolean {
    const dir = this.existing(id);
    try {
      if (!dir) throw new Error('the VM has no CPU group on this host');
      if (this.mode.kind === 'v2') writeFileSync(join(dir, 'cpu.max'), cpuMaxLine(percent));
      else {
        writeFileSync(join(dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
        writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(cpuQuotaUs(percent)));
      }
      return true;
    } catch (err) {
      logger.warn({ id, percent, err: (err as Error).message }, 'could not limit the VM CPU');
      return false;
    }
  }

  private write(dir: string, cls: CpuClass): void {
    const w = CPU_WEIGHTS[cls];
    if (this.mode.kind === 'v2') writeFileSync(join(dir, 'cpu.weight'), String(w.v2));
    else writeFileSync(join(dir, 'cpu.shares'), String(w.v1));
  }
}
