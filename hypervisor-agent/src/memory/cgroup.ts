// One cgroup per child with a memory limit. cgroup v2 when its memory controller is usable,
// else the v1 memory hierarchy, else none (logged once with the reason). Groups are made
// under the agent's own cgroup so a container's limits still apply to the children.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { logger } from '../logger';

export type CgroupMode =
  { kind: 'v2'; base: string } | { kind: 'v1'; base: string } | { kind: 'none'; reason: string };

/** This process's path in a hierarchy, from /proc/self/cgroup text (pure). */
export function ownCgroupPath(
  procSelfCgroup: string,
  controller: 'v2' | 'memory' | 'cpu',
): string | undefined {
  for (const line of procSelfCgroup.split('\n')) {
    const [hid, ctrls, path] = line.split(':');
    if (path === undefined) continue;
    if (controller === 'v2' && hid === '0' && ctrls === '') return path;
    if (controller !== 'v2' && ctrls?.split(',').includes(controller)) return path;
  }
  return undefined;
}

function tryMake(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export function detectCgroups(root = '/sys/fs/cgroup'): CgroupMode {
  const self = readFileSync('/proc/self/cgroup', 'utf8');
  const reasons: string[] = [];
  const v2Root = existsSync(join(root, 'cgroup.controllers')) ? root : join(root, 'unified');
  const v2Path = ownCgroupPath(self, 'v2');
  if (v2Path !== undefined && existsSync(join(v2Root, 'cgroup.controllers'))) {
    const parent = join(v2Root, v2Path);
    const controllers = readFileSync(join(parent, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (!controllers.includes('memory')) {
      reasons.push(`cgroup v2 at ${parent} has no memory controller`);
    } else {
      const base = join(parent, 'forkdesk');
      const err = tryMake(base);
      if (!err) {
        try {
          writeFileSync(join(base, 'cgroup.subtree_control'), '+memory');
          return { kind: 'v2', base };
        } catch (e) {
          reasons.push(`cannot enable memory in ${base}: ${(e as Error).message}`);
        }
      } else reasons.push(`cgroup v2 not writable: ${err}`);
    }
  } else reasons.push('no cgroup v2 hierarchy');
  const v1Path = ownCgroupPath(self, 'memory');
  if (v1Path !== undefined && existsSync(join(root, 'memory'))) {
    const base = join(root, 'memory', v1Path, 'forkdesk');
    const err = tryMake(base);
    if (!err) return { kind: 'v1', base };
    reasons.push(`cgroup v1 memory not writable: ${err}`);
  }
  return { kind: 'none', reason: reasons.join('; ') };
}

export class Cgroups {
  /** This engine's own subtree: engines on other data dirs share the parent group. */
  private readonly base: string | undefined;

  constructor(
    readonly mode: CgroupMode,
    scope: string,
  ) {
    if (mode.kind === 'none') {
      logger.warn({ reason: mode.reason }, 'children run without a memory cgroup');
      return;
    }
    if (mode.kind === 'v1') {
      logger.info(
        { base: mode.base },
        'cgroup v2 memory controller unavailable: using cgroup v1 memory',
      );
    }
    const base = join(mode.base, scope);
    const err = tryMake(base);
    if (err) {
      logger.warn({ base, err }, 'children run without a memory cgroup');
      return;
    }
    if (mode.kind === 'v2') writeFileSync(join(base, 'cgroup.subtree_control'), '+memory');
    this.base = base;
  }

  /** Puts `pid` in the VM's own group with a memory limit; returns the group's path. */
  place(id: string, pid: number, limitMiB: number): string | undefined {
    if (!this.base) return undefined;
    const dir = join(this.base, id);
    try {
      mkdirSync(dir, { recursive: true });
      const bytes = String(limitMiB * 1024 * 1024);
      writeFileSync(
        join(dir, this.mode.kind === 'v2' ? 'memory.max' : 'memory.limit_in_bytes'),
        bytes,
      );
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      return dir;
    } catch (err) {
      logger.warn({ id, err: (err as Error).message }, 'could not place VM in its cgroup');
      return undefined;
    }
  }

  /** Removes a VM's group; its process may take a moment to leave it after SIGKILL. */
  async remove(dir: string | undefined, attempts = 50): Promise<void> {
    if (dir) await removeCgroupDir(dir, attempts);
  }

  /** Removes this engine's (empty) subtree, when the engine is uninstalled. */
  async dispose(): Promise<void> {
    await this.sweep(new Set());
    await this.remove(this.base, 1);
  }

  /** Removes groups of VMs that no longer exist (left by a crash). */
  async sweep(liveIds: Set<string>): Promise<void> {
    if (!this.base) return;
    for (const d of readdirSync(this.base, { withFileTypes: true })) {
      if (d.isDirectory() && !liveIds.has(d.name)) await this.remove(join(this.base, d.name), 1);
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

/** Removes a (v1 or v2) cgroup directory, waiting while its last process leaves it. */
export async function removeCgroupDir(dir: string, attempts: number): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY') return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  logger.warn({ dir }, 'cgroup still busy: left for the next start to remove');
}
