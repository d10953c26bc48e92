// One cgroup per VM with a memory limit (see cgroup/tree.ts for where the groups live).
import { writeFileSync } from 'fs';
import { join } from 'path';
import { CgroupTree, detectHierarchy, type CgroupMode } from '../cgroup/tree';
import { logger } from '../logger';

export function detectCgroups(root?: string): CgroupMode {
  return detectHierarchy('memory', 'memory.limit_in_bytes', root);
}

export class Cgroups extends CgroupTree {
  constructor(mode: CgroupMode, scope: string) {
    super(mode, scope, 'memory', 'children run without a memory cgroup');
    if (mode.kind === 'v1') {
      logger.info(
        { base: mode.base },
        'cgroup v2 memory controller unavailable: using cgroup v1 memory',
      );
    }
  }

  /** Puts `pid` in the VM's own group with a memory limit. */
  place(id: string, pid: number, limitMiB: number): void {
    try {
      const dir = this.groupOf(id);
      if (!dir) return;
      const bytes = String(limitMiB * 1024 * 1024);
      writeFileSync(
        join(dir, this.mode.kind === 'v2' ? 'memory.max' : 'memory.limit_in_bytes'),
        bytes,
      );
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    } catch (err) {
      logger.warn({ id, err: (err as Error).message }, 'could not place VM in its cgroup');
    }
  }
}

/**
 * Protects the agent from the OOM killer and makes VMs the preferred victims. Returns the
 * reason it failed (lowering needs CAP_SYS_RESOURCE), or undefined.
 */
export function setOomScoreAdj(pid: number | 'self', value: number): string | undefined {
  try {
    writeFileSync(`/proc/${pid}/oom_score_adj`, String(value));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
