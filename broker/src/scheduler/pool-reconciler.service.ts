import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { CreateTemplateRequest } from '@forkdesk/agent-contract';
import { DesktopState as S, Pool } from '@forkdesk/db';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AGENT_CLIENT, type AgentClient } from '../agents/agent-client';
import { PlacementService } from '../agents/placement';
import { AgentsRepository } from '../agents/agents.repository';
import { TemplatesRepository } from '../agents/templates.repository';
import { SYSTEM } from '../common/actor';
import { LOGGER } from '../common/logger';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { DesktopStateMachine } from '../lifecycle/desktop-state';
import { DesktopsRepository } from '../desktops/desktops.repository';
import { ForkService, type PendingFork } from '../desktops/fork.service';
import { agentImageKey, imageSource } from '../images/manifest';
import { effectiveVersion } from '../pools/pools.service';
import { SchedulerRepository } from './scheduler.repository';

export interface ReconcileResult {
  forked: number;
  refreshed: number;
}

/**
 * Keeps each pool at `minSpare` free ready desktops on its effective version (within
 * `maxSize`; a spare held for a user is neither free nor missing: it counts against the max),
 * replaces spares of an older version, and asks agents for the templates a pool needs. Safe
 * on any broker at any time: the pool row lock makes counting and inserting exact.
 */
/** How long a stopping broker waits for template builds it asked for (their rows get updated). */
const SHUTDOWN_WAIT_MS = 5_000;

@Injectable()
export class PoolReconciler implements BeforeApplicationShutdown {
  /** Template builds under way, finished (or given up) before the database closes. */
  private readonly builds = new Set<Promise<void>>();

  constructor(
    private readonly ds: DataSource,
    private readonly repo: SchedulerRepository,
    private readonly desktops: DesktopsRepository,
    private readonly templates: TemplatesRepository,
    private readonly agentsRepo: AgentsRepository,
    private readonly states: DesktopStateMachine,
    private readonly placement: PlacementService,
    private readonly forks: ForkService,
    @Inject(AGENT_CLIENT) private readonly agents: AgentClient,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async reconcileAll(): Promise<ReconcileResult> {
    const pools = await this.ds.getRepository(Pool).find({ select: { id: true } });
    const total: ReconcileResult = { forked: 0, refreshed: 0 };
    for (const p of pools) {
      const r = await this.reconcilePool(p.id);
      total.forked += r.forked;
      total.refreshed += r.refreshed;
    }
    return total;
  }

  async reconcilePool(poolId: string): Promise<ReconcileResult> {
    const plan = await this.ds.transaction(async (tx) => {
      const pool = await tx.findOne(Pool, {
        where: { id: poolId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!pool) return null;
      const version = await effectiveVersion(tx, pool);
      if (!version) return null;
      // Spares of another version go (nobody uses them), and so do dedicated desktops kept
      // after logoff; desktops in use stay until logoff.
      const stale = await this.repo.lockStale(tx, pool.id, version.id);
      for (const id of stale) {
        await this.states.move(
          tx,
          id,
          [S.Ready, S.Assigned, S.InUse],
          S.Destroying,
          SYSTEM,
          {},
          { reason: 'refresh', to_version: version.version },
        );
      }
      const c = await this.repo.spareCounts(tx, pool.id, version.id);
      const want = Math.min(pool.minSpare - c.spares, pool.maxSize - c.live);
      const forks: PendingFork[] = [];
      let short = false;
      for (let i = 0; i < want; i++) {
        const place = await this.placement.choose(tx, version.id, pool.vcpus, pool.memoryMib);
        if (!place) {
          short = true;
          break;
        }
        const id = await this.desktops.insertForking(tx, {
          poolId: pool.id,
          versionId: version.id,
          agentId: place.agentId,
          templateId: place.templateId,
        });
        await this.states.created(tx, id, pool.id, SYSTEM, { spare: true });
        forks.push({
          desktopId: id,
          poolId: pool.id,
          endpoint: place.endpoint,
          agentTemplateId: place.agentTemplateId,
        });
      }
      return { pool, version, stale, forks, short };
    });
    if (!plan) return { forked: 0, refreshed: 0 };
    await this.ensureTemplates(plan.version.id, plan.pool);
    await Promise.all([
      ...plan.stale.map((id) => this.forks.destroy(id)),
      ...plan.forks.map((f) => this.forks.complete(f)),
    ]);
    if (plan.short)
      this.log.debug(
        { pool: plan.pool.name },
        'pool below minSpare: no host with a ready template and room',
      );
    return { forked: plan.forks.length, refreshed: plan.stale.length };
  }

  /**
   * Every live agent gets a template for the pool's version and shape (a published version
   * "triggers template builds on every agent"). The row is claimed first, so of several
   * brokers exactly one asks; the build runs in the background (it boots a VM).
   */
  private async ensureTemplates(imageVersionId: string, pool: Pool): Promise<void> {
    const claimed = await this.templates.claimBuilds(
      imageVersionId,
      pool.vcpus,
      pool.memoryMib,
      this.config.agents.heartbeatTimeoutS,
    );
    if (claimed.length === 0) return;
    const v = await this.templates.versionFiles(imageVersionId);
    if (!v) return; // the version went meanwhile
    const req: CreateTemplateRequest = {
      imageVersion: agentImageKey(imageVersionId),
      shape: { vcpus: pool.vcpus, memoryMiB: pool.memoryMib },
      image: imageSource(v),
    };
    for (const t of claimed) {
      const job = this.buildTemplate(t.id, t.agentId, req)
        .catch((err: unknown) => this.log.warn({ err, template: t.id }, 'template build lost'))
        .finally(() => this.builds.delete(job));
      this.builds.add(job);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    const deadline = new Promise((r) => setTimeout(r, SHUTDOWN_WAIT_MS).unref());
    await Promise.race([Promise.all([...this.builds]), deadline]);
  }

  private async buildTemplate(
    rowId: string,
    agentId: string,
    req: CreateTemplateRequest,
  ): Promise<void> {
    const a = await this.agentsRepo.endpoint(agentId);
    if (!a) return; // the agent went meanwhile (its rows with it)
    try {
      const t = await this.agents.ensureTemplate(a, req);
      await this.ds.transaction(async (tx) => {
        await this.templates.freeRef(tx, agentId, t.id, { rowId });
        await this.templates.update(tx, rowId, {
          agentTemplateId: t.id,
          state: t.state,
          deviceStateBytes: t.deviceStateBytes,
          buildMs: t.buildMs,
          accel: t.accel,
        });
      });
      this.log.info(
        { agent: a.name, imageVersion: req.imageVersion, template: t.id, state: t.state },
        'template built',
      );
    } catch (err) {
      this.log.warn(
        { err, agent: a.name, imageVersion: req.imageVersion },
        'template build failed',
      );
      await this.templates.markFailed(rowId);
    }
  }
}
