// The cgroup hierarchy a controller's VM groups live in, and one engine's subtree of them
// (`<base>/<scope>/<vm id>`): cgroup v2 when the controller is usable there, else its v1
// hierarchy, else none (logged once with the reason). Groups are made under the agent's own
// cgroup, so a container's limits still apply to the VMs. The memory limits and the CPU
// weights each keep such a subtree.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { logger } from '../logger';

export type CgroupMode =
  { kind: 'v2'; base: string } | { kind: 'v1'; base: string } | { kind: 'none'; reason: string };

export type Controller = 'memory' | 'cpu';

/** This process's path in a hierarchy, from /proc/self/cgroup text (pure). */
export function ownCgroupPath(
  procSelfCgroup: string,
  controller: 'v2' | Controller,
): string | undefined {
  for (const line of procSelfCgroup.split('\n')) {
    const [hid, ctrls, path] = line.split(':');
    if (path === undefined) continue;
    if (controller === 'v2' && hid === '0' && ctrls === '') return path;
    if (controller !== 'v2' && ctrls?.split(',').includes(controller)) return path;
  }
  return undefined;
}

/** Makes `dir` and, in v2, hands the controller on to its children; the failure, or undefined. */
function makeSubtree(dir: string, kind: 'v1' | 'v2', controller: Controller): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    if (kind === 'v2') writeFileSync(join(dir, 'cgroup.subtree_control'), `+${controller}`);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Where `controller`'s VM groups go: `forkdesk/` under this process's own group. `v1File` is
 * a file the controller's v1 hierarchy has at its root (it tells the controller is mounted).
 */
export function detectHierarchy(
  controller: Controller,
  v1File: string,
  root = '/sys/fs/cgroup',
): CgroupMode {
  const self = readFileSync('/proc/self/cgroup', 'utf8');
  const reasons: string[] = [];
  const v2Root = existsSync(join(root, 'cgroup.controllers')) ? root : join(root, 'unified');
  const v2Path = ownCgroupPath(self, 'v2');
  if (v2Path !== undefined && existsSync(join(v2Root, 'cgroup.controllers'))) {
    const parent = join(v2Root, v2Path);
    const controllers = readFileSync(join(parent, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (controllers.includes(controller)) {
      const base = join(parent, 'forkdesk');
      const err = makeSubtree(base, 'v2', controller);
      if (!err) return { kind: 'v2', base };
      reasons.push(`cannot enable ${controller} in ${base}: ${err}`);
    } else reasons.push(`cgroup v2 at ${parent} has no ${controller} controller`);
  } else reasons.push('no cgroup v2 hierarchy');
  const v1Path = ownCgroupPath(self, controller);
  if (v1Path !== undefined && existsSync(join(root, controller, v1File))) {
    const base = join(root, controller, v1Path, 'forkdesk');
    const err = makeSubtree(base, 'v1', controller);
    if (!err) return { kind: 'v1', base };
    reasons.push(`cgroup v1 ${controller} not writable: ${err}`);
  } else reasons.push(`no cgroup v1 ${controller} hierarchy`);
  return { kind: 'none', reason: reasons.join('; ') };
}

/** One engine's subtree of VM groups: engines on other data dirs share the parent group. */
export class CgroupTree {
  private readonly base: string | undefined;

  /** `unavailable` is the warning logged when the VMs go without these groups. */
  constructor(
    readonly mode: CgroupMode,
    scope: string,
    controller: Controller,
    unavailable: string,
  ) {
    if (mode.kind === 'none') {
      logger.warn({ reason: mode.reason }, unavailable);
      return;
    }
    const base = join(mode.base, scope);
    const err = makeSubtree(base, mode.kind, controller);
    if (err) {
      logger.warn({ base, err }, unavailable);
      return;
    }
    this.base = base;
  }

  /** The VM's group, made if need be; undefined without a subtree. */
  protected groupOf(id: string): string | undefined {
    if (!this.base) return undefined;
    const dir = join(this.base, id);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** The VM's group if it exists. */
  protected existing(id: string): string | undefined {
    const dir = this.base && join(this.base, id);
    return dir && existsSync(dir) ? dir : undefined;
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
    if (this.base) await removeCgroupDir(this.base, 1);
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
