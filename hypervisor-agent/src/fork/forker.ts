// Forking: N children of a ready template, from its warm pool when it has children ready and
// cold otherwise, all or nothing, within the host's memory reserve.
import type { NetworkMode } from '@forkdesk/agent-contract';
import type { EngineConfig } from '../config';
import { ForkError } from '../engine/errors';
import { checkReserve, readHostMemory } from '../memory/proc';
import type { TemplateRegistry } from '../templates/template-registry';
import type { TemplateRecord } from '../templates/template';
import { validateTemplate } from '../templates/template';
import { checkForkCount } from '../vm/shape';
import {
  ChildEnv,
  completeChild,
  destroyVmFiles,
  ForkedChild,
  PreparedChild,
  prepareChild,
  VmRecord,
} from './child';
import { Priority, type PriorityGate } from './priority-gate';
import type { VmTable } from './vm-table';
import { WarmPool } from './warm-pool';

export interface ForkOptions {
  /** Take ready children from the template's warm pool first. */
  useWarm: boolean;
  /** The children's ids (a running VM's re-fork keeps its id); new ones otherwise. */
  ids?: string[];
  network?: NetworkMode;
  /** Nobody waits for these yet: they wait their turn behind work someone waits for. */
  spare?: boolean;
}

export class Forker {
  private readonly pools = new Map<string, WarmPool>();

  constructor(
    private readonly cfg: EngineConfig,
    private readonly env: ChildEnv,
    private readonly templates: TemplateRegistry,
    private readonly vms: VmTable,
    private readonly gate: PriorityGate,
  ) {}

  /** Starts (or tops up) the template's warm pool. */
  warm(t: TemplateRecord): void {
    this.poolFor(t).refill();
  }

  /** Waits until the template's warm pool is not refilling (bench and tests). */
  async settle(templateId: string): Promise<number> {
    const pool = this.pools.get(templateId);
    if (!pool) return 0;
    await pool.settle();
    return pool.size;
  }

  /** Stops the template's warm pool (its warm children are killed). */
  async closePool(templateId: string): Promise<void> {
    const pool = this.pools.get(templateId);
    this.pools.delete(templateId);
    await pool?.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.keys()].map((id) => this.closePool(id)));
  }

  /** Warm children have no network, so NAT children are always cold. */
  fork(templateId: string, count: number, opts: ForkOptions): Promise<VmRecord[]> {
    const priority = opts.spare ? Priority.Spare : Priority.Fork;
    return this.gate.run(priority, () => this.forkNow(templateId, count, opts));
  }

  private async forkNow(templateId: string, count: number, opts: ForkOptions): Promise<VmRecord[]> {
    const nat = opts.network === 'nat';
    checkForkCount(count);
    const startedAt = Date.now();
    const t = this.templates.ready(templateId);
    await validateTemplate(t);
    const pool = opts.useWarm && !nat ? this.poolFor(t) : undefined;
    const warm: PreparedChild[] = [];
    for (let i = 0; i < count && pool && !opts.ids; i++) {
      const p = pool.take();
      if (!p) break;
      warm.push(p);
    }
    const cold = count - warm.length;
    try {
      checkReserve(readHostMemory(), this.cfg.reserveMiB, cold, this.cfg.forkEstimateMiB);
    } catch (err) {
      await Promise.all(warm.map((p) => this.discard(p)));
      throw err;
    }
    const jobs: Promise<ForkedChild>[] = [];
    for (const p of warm) {
      p.record.warm = true;
      jobs.push(completeChild(this.env, t, p, startedAt));
    }
    for (let i = 0; i < cold; i++) {
      const id = opts.ids?.[i];
      jobs.push(
        prepareChild(this.env, t, id, nat).then((p) => completeChild(this.env, t, p, startedAt)),
      );
    }
    const results = await Promise.allSettled(jobs);
    pool?.refill();
    const ok = results.filter(
      (r): r is PromiseFulfilledResult<ForkedChild> => r.status === 'fulfilled',
    );
    for (const { value } of ok) this.vms.add(value.record, value.ga);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) {
      // All or nothing: a caller asking for N children never gets a partial batch to track.
      await Promise.all(ok.map((r) => this.vms.destroy(r.value.record.id)));
      throw new ForkError(
        `${failed.length} of ${count} fork(s) failed: ${(failed[0]?.reason as Error).message}`,
      );
    }
    return ok.map((r) => r.value.record);
  }

  private poolFor(t: TemplateRecord): WarmPool {
    let pool = this.pools.get(t.id);
    if (!pool) {
      pool = new WarmPool(
        t.id,
        this.cfg.warmPoolMax,
        () => prepareChild(this.env, t),
        (p) => this.discard(p),
        () => readHostMemory().availableMiB - this.cfg.forkEstimateMiB > this.cfg.reserveMiB,
      );
      this.pools.set(t.id, pool);
    }
    return pool;
  }

  private async discard(p: PreparedChild): Promise<void> {
    p.qmp.close();
    p.ga.close();
    await destroyVmFiles(this.env, p.record);
  }
}
