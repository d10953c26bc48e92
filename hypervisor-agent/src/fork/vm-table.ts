// The agent's VMs (children, running VMs, warm children) with their guest agent connections:
// lookup, listing, destruction, and re-adoption of the VMs a previous agent left running.
import type { ChildInfo } from '@forkdesk/agent-contract';
import { readdirSync, rmSync } from 'fs';
import { join } from 'path';
import { ConflictError, NotFoundError } from '../engine/errors';
import { GuestAgent } from '../guest/client';
import { logger } from '../logger';
import { readProcessMemory } from '../memory/proc';
import { connectQmp } from '../qmp/client';
import type { PluggedDisk } from '../vm/hotplug';
import { isVmProcess } from '../vm/process';
import { readJson } from '../vm/state-file';
import { ChildEnv, destroyVmFiles, VmRecord } from './child';

/** VM records plus what only lives in memory. */
export interface VmEntry extends VmRecord {
  disks?: PluggedDisk[];
  /** The clipboard channel was plugged in (see hotplugClipboard). */
  clipboard?: boolean;
}

export function childInfo(r: VmRecord): ChildInfo {
  return {
    id: r.id,
    templateId: r.templateId ?? '',
    pid: r.pid,
    state: isVmProcess(r.pid, r.id) ? r.state : 'dead',
    vncSocket: r.spec.vncSocket,
    createdAt: r.createdAt,
    forkMs: r.forkMs,
    warm: r.warm,
    ...(r.cpuLimitPercent === undefined ? {} : { cpuLimitPercent: r.cpuLimitPercent }),
  };
}

export class VmTable {
  private readonly vms = new Map<string, VmEntry>();
  /** Guest agent connections, held open for the VM's life (see GuestAgent.open). */
  private readonly agents = new Map<string, GuestAgent>();
  /** Connects under way, shared by concurrent callers of `guest()`. */
  private readonly agentConnects = new Map<string, Promise<GuestAgent>>();
  /** `id pid` of the children and running VMs found dead by the last `reapDead`. */
  private seenDead = new Set<string>();
  private reaping = false;
  /** VMs an operation stops on purpose (see `hold`): never reaped meanwhile. */
  private readonly held = new Set<string>();

  constructor(private readonly env: ChildEnv) {}

  /** Tracks a VM, with its guest agent connection when one is open already. */
  add(rec: VmEntry, ga?: GuestAgent): void {
    this.vms.set(rec.id, rec);
    if (ga) this.agents.set(rec.id, ga);
  }

  /** Stops tracking a VM whose files were handed on (frozen into a template). */
  forget(id: string): void {
    this.closeAgent(id);
    this.vms.delete(id);
  }

  entry(id: string): VmEntry | undefined {
    return this.vms.get(id);
  }

  ids(): Set<string> {
    return new Set(this.vms.keys());
  }

  entries(): VmEntry[] {
    return [...this.vms.values()];
  }

  /** Children and running VMs (warm children are the pools' own). */
  list(): ChildInfo[] {
    return this.entries()
      .filter((v) => v.kind !== 'warm')
      .map((v) => childInfo(v));
  }

  info(id: string): ChildInfo | undefined {
    const v = this.vms.get(id);
    if (!v || v.kind === 'warm') return undefined;
    return { ...childInfo(v), memory: readProcessMemory(v.pid) };
  }

  /** A living child or running VM, or the 404/409 why not. */
  require(id: string): VmEntry {
    const v = this.vms.get(id);
    if (!v || v.kind === 'warm') throw new NotFoundError(`no VM ${id}`);
    if (!isVmProcess(v.pid, v.id)) throw new ConflictError(`VM ${id} is not running`);
    return v;
  }

  /** Children forked from the template. */
  childrenOf(templateId: string): number {
    return this.entries().filter((v) => v.kind === 'child' && v.templateId === templateId).length;
  }

  async destroy(id: string): Promise<void> {
    const v = this.vms.get(id);
    if (!v) throw new NotFoundError(`no VM ${id}`);
    this.closeAgent(id);
    await destroyVmFiles(this.env, v);
    if (v.kind === 'source') rmSync(v.spec.ram.path, { force: true });
    this.vms.delete(id);
  }

  /**
   * Removes the children and running VMs whose QEMU died while this agent runs (directory,
   * delta disk, network, cgroups) once two calls in a row found the same process dead: what
   * stops a QEMU on purpose (a freeze) forgets or replaces its entry well within that time.
   * Their desktops are lost either way; the broker learns it from the next heartbeat.
   */
  async reapDead(): Promise<string[]> {
    if (this.reaping) return [];
    this.reaping = true;
    try {
      return await this.reapOnce();
    } finally {
      this.reaping = false;
    }
  }

  /** Runs `fn`, which may stop the VM's QEMU and bring it back, out of `reapDead`'s way. */
  async hold<T>(id: string, fn: () => Promise<T>): Promise<T> {
    this.held.add(id);
    try {
      return await fn();
    } finally {
      this.held.delete(id);
    }
  }

  private async reapOnce(): Promise<string[]> {
    const dead = new Map(
      this.entries()
        .filter((v) => v.kind !== 'warm' && !this.held.has(v.id) && !isVmProcess(v.pid, v.id))
        .map((v) => [`${v.id} ${v.pid}`, v.id]),
    );
    const reaped: string[] = [];
    for (const [key, id] of dead) {
      if (!this.seenDead.has(key) || !this.vms.has(id)) continue;
      logger.warn({ vm: id }, 'removing a VM whose QEMU died');
      await this.destroy(id).then(
        () => reaped.push(id),
        (err: unknown) => logger.error({ err, vm: id }, 'could not remove a dead VM'),
      );
    }
    this.seenDead = new Set(dead.keys());
    return reaped;
  }

  /** The VM's guest agent connection (shared: callers must not close it). */
  async guest(id: string, timeoutMs = 10_000): Promise<GuestAgent> {
    const vm = this.require(id);
    const held = this.agents.get(id);
    if (held && !held.closed) return held;
    // One connect per VM at a time: QEMU serves one client and leaves a second one queued in
    // its listen backlog, where its retries end in EAGAIN until the whole timeout runs out.
    let connecting = this.agentConnects.get(id);
    if (!connecting) {
      connecting = GuestAgent.connect(vm.spec.qgaSocket, timeoutMs)
        .then((ga) => {
          this.agents.set(id, ga);
          return ga;
        })
        .finally(() => this.agentConnects.delete(id));
      this.agentConnects.set(id, connecting);
    }
    return connecting;
  }

  closeAgent(id: string): void {
    this.agents.get(id)?.close();
    this.agents.delete(id);
  }

  /** Closes every guest agent connection (the VMs keep running). */
  closeAgents(): void {
    for (const id of [...this.agents.keys()]) this.closeAgent(id);
  }

  /** Re-adopts VMs from their records; only what is truly dead is removed. */
  async adopt(): Promise<void> {
    for (const name of readdirSync(this.env.vmsDir)) {
      const dir = join(this.env.vmsDir, name);
      const rec = readJson<VmRecord>(join(dir, 'vm.json'));
      const alive = rec !== undefined && isVmProcess(rec.pid, rec.id);
      if (rec && alive && rec.kind === 'warm') {
        // Warm children are disposable: the new pool refills with its own.
        await destroyVmFiles(this.env, rec);
        continue;
      }
      if (!rec || !alive) {
        logger.info({ dir, pid: rec?.pid }, 'removing dead VM');
        if (rec) {
          await this.env.cgroups.remove(rec.id);
          await this.env.cpu.remove(rec.id);
        }
        if (rec?.network) await this.env.nat.teardown(rec.network);
        if (rec?.kind === 'source') rmSync(rec.spec.ram.path, { force: true });
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      try {
        const qmp = await connectQmp(rec.spec.qmpSocket, { timeoutMs: 5000 });
        const st = await qmp.execute<{ status: string }>('query-status');
        qmp.close();
        rec.state = st.status === 'running' ? 'running' : 'paused';
      } catch (err) {
        logger.warn({ id: rec.id, err: (err as Error).message }, 'adopted VM does not answer QMP');
      }
      this.vms.set(rec.id, rec);
      await GuestAgent.open(rec.spec.qgaSocket)
        .then((ga) => this.agents.set(rec.id, ga))
        .catch((err: Error) =>
          logger.warn({ id: rec.id, err: err.message }, 'guest agent socket not reachable'),
        );
      logger.info({ id: rec.id, pid: rec.pid }, 'VM re-adopted');
    }
  }
}
