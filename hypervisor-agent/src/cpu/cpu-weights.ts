// CPU weights of the VMs: every VM in a CPU group of its own whose weight is far below the
// default of the broker, the agent and PostgreSQL (100 in cgroup v2, 1024 shares in v1), and a
// spare below a desktop someone uses. On a busy TCG host the guests would otherwise take nearly
// all CPU and sign-in and the API would stall. cgroup v2 cpu.weight when its cpu controller is
// usable, else the v1 cpu hierarchy's cpu.shares, else none (logged once with the reason).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { logger } from '../logger';
import { ownCgroupPath, removeCgroupDir } from '../memory/cgroup';

/** A spare or template (no one waits on it) or a desktop given to a user. */
export type CpuClass = 'spare' | 'desktop';

export type CpuGroupMode =
  { kind: 'v2'; base: string } | { kind: 'v1'; base: string } | { kind: 'none'; reason: string };

/** cpu.weight (v2, 1..10000, default 100) and cpu.shares (v1, default 1024) per class. */
export const CPU_WEIGHTS: Record<CpuClass, { v2: number; v1: number }> = {
  spare: { v2: 5, v1: 50 },
  desktop: { v2: 25, v1: 256 },
};

/** Where VM CPU groups go: under this process's own group, as the memory groups do. */
export function detectCpuGroups(root = '/sys/fs/cgroup'): CpuGroupMode {
  const self = readFileSync('/proc/self/cgroup', 'utf8');
  const reasons: string[] = [];
  const v2Root = existsSync(join(root, 'cgroup.controllers')) ? root : join(root, 'unified');
  const v2Path = ownCgroupPath(self, 'v2');
  if (v2Path !== undefined && existsSync(join(v2Root, 'cgroup.controllers'))) {
    const parent = join(v2Root, v2Path);
    const controllers = readFileSync(join(parent, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (controllers.includes('cpu')) {
      const base = join(parent, 'forkdesk');
      try {
        mkdirSync(base, { recursive: true });
        writeFileSync(join(base, 'cgroup.subtree_control'), '+cpu');
        return { kind: 'v2', base };
      } catch (e) {
        reasons.push(`cannot enable cpu in ${base}: ${(e as Error).message}`);
      }
    } else reasons.push(`cgroup v2 at ${parent} has no cpu controller`);
  } else reasons.push('no cgroup v2 hierarchy');
  const v1Path = ownCgroupPath(self, 'cpu');
  if (v1Path !== undefined && existsSync(join(root, 'cpu', 'cpu.shares'))) {
    const base = join(root, 'cpu', v1Path, 'forkdesk');
    try {
      mkdirSync(base, { recursive: true });
      return { kind: 'v1', base };
    } catch (e) {
      reasons.push(`cgroup v1 cpu not writable: ${(e as Error).message}`);
    }
  } else reasons.push('no cgroup v1 cpu hierarchy');
  return { kind: 'none', reason: reasons.join('; ') };
}

export class CpuWeights {
  /** This engine's own subtree: engines on other data dirs share the parent group. */
  private readonly base: string | undefined;

  constructor(
    readonly mode: CpuGroupMode,
    scope: string,
  ) {
    if (mode.kind === 'none') {
      logger.warn({ reason: mode.reason }, 'VMs run without a CPU weight');
      return;
    }
    const base = join(mode.base, scope);
    try {
      mkdirSync(base, { recursive: true });
      if (mode.kind === 'v2') writeFileSync(join(base, 'cgroup.subtree_control'), '+cpu');
      this.base = base;
    } catch (err) {
      logger.warn({ base, err: (err as Error).message }, 'VMs run without a CPU weight');
    }
  }

  /** Puts `pid` (a QEMU with all its threads) in the VM's own CPU group with the class's weight. */
  place(id: string, pid: number, cls: CpuClass): void {
    if (!this.base) return;
    const dir = join(this.base, id);
    try {
      mkdirSync(dir, { recursive: true });
      this.write(dir, cls);
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    } catch (err) {
      logger.warn({ id, err: (err as Error).message }, 'could not give the VM its CPU weight');
    }
  }

  /** A spare becomes someone's desktop (or back): its weight follows. */
  setClass(id: string, cls: CpuClass): void {
    if (!this.base) return;
    const dir = join(this.base, id);
    if (!existsSync(dir)) return;
    try {
      this.write(dir, cls);
    } catch (err) {
      logger.warn({ id, err: (err as Error).message }, 'could not change the VM CPU weight');
    }
  }

  /** Removes a VM's group; its process may take a moment to leave it after SIGKILL. */
  async remove(id: string, attempts = 50): Promise<void> {
    if (this.base) await removeCgroupDir(join(this.base, id), attempts);
  }

  /** Removes groups of VMs that no longer exist (left by a crash). */
  async sweep(liveIds: Set<string>): Promise<void> {
    if (!this.base) return;
    for (const d of readdirSync(this.base, { withFileTypes: true })) {
      if (d.isDirectory() && !liveIds.has(d.name)) await this.remove(d.name, 1);
    }
  }

  /** Removes this engine's (empty) subtree, when the engine is uninstalled. */
  async dispose(): Promise<void> {
    await this.sweep(new Set());
    if (!this.base) return;
    try {
      rmdirSync(this.base);
    } catch {
      // busy or gone: the next start sweeps it
    }
  }

  private write(dir: string, cls: CpuClass): void {
    const w = CPU_WEIGHTS[cls];
    if (this.mode.kind === 'v2') writeFileSync(join(dir, 'cpu.weight'), String(w.v2));
    else writeFileSync(join(dir, 'cpu.shares'), String(w.v1));
  }
}
