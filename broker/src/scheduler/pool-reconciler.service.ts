import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { CreateTemplateRequest } from '@forkdesk/agent-contract';
import { DesktopState as S, Pool } from '@forkdesk/db';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AGENT_CLIENT, type AgentClient } from '../agents/agent-client';
import { PlacementService } from '../agents/placement';
import { freeTemplateRef } from '../agents/template-sync';
import { SYSTEM } from '../common/actor';
import { LOGGER } from '../common/logger';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { DesktopStateMachine } from '../desktops/desktop-state';
import { ForkService, type PendingFork } from '../desktops/fork.service';
import { ASSIGNED_STATES, HOLDING_A_VM } from '../lifecycle/desktop-states';
import { agentImageKey, imageSource, type VersionFiles } from '../images/manifest';
import { effectiveVersion } from '../pools/pools.service';

export interface ReconcileResult {
  forked: number;
  refreshed: number;
}

/**
 * Keeps each pool at `minSpare` ready desktops on its effective version (within `maxSize`),
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
      const stale = (await tx.query(
        `SELECT id FROM desktops WHERE pool_id = $1 AND image_version_id <> $2
            AND (state = $3 OR (state = ANY($4) AND session_state = 'logged_off'))
          FOR UPDATE SKIP LOCKED`,
        [pool.id, version.id, S.Ready, ASSIGNED_STATES],
      )) as { id: string }[];
      for (const s of stale) {
        await this.states.move(
          tx,
          s.id,
          [S.Ready, S.Assigned, S.InUse],
          S.Destroying,
          SYSTEM,
          {},
          { reason: 'refresh', to_version: version.version },
        );
      }
      const [c] = (await tx.query(
        `SELECT count(*) FILTER (WHERE (state = $3 AND image_version_id = $2)
                                   OR (state = $4 AND reserved_user_id IS NULL))::int AS spares,
                count(*) FILTER (WHERE state = ANY($5))::int AS live
           FROM desktops WHERE pool_id = $1`,
        [pool.id, version.id, S.Ready, S.Forking, HOLDING_A_VM],
      )) as { spares: number; live: number }[];
      const want = Math.min(pool.minSpare - c.spares, pool.maxSize - c.live);
      const forks: PendingFork[] = [];
      let short = false;
      for (let i = 0; i < want; i++) {
        const place = await this.placement.choose(tx, version.id, pool.vcpus, pool.memoryMib);
        if (!place) {
          short = true;
          break;
        }
        const [row] = (await tx.query(
          `INSERT INTO desktops (pool_id, image_version_id, agent_id, template_id, state)
           VALUES ($1, $2, $3, $4, $5) RETURNING id`,
          [pool.id, version.id, place.agentId, place.templateId, S.Forking],
        )) as { id: string }[];
        await this.states.created(tx, row.id, pool.id, SYSTEM, { spare: true });
        forks.push({
          desktopId: row.id,
          poolId: pool.id,
          endpoint: place.endpoint,
          agentTemplateId: place.agentTemplateId,
        });
      }
      return { pool, version, stale: stale.map((s) => s.id), forks, short };
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
    const claimed = (await this.ds.query(
      `INSERT INTO templates (agent_id, agent_template_id, image_version_id, vcpus, memory_mib, accel, state)
       SELECT a.id, 'pending:' || gen_random_uuid(), $1, $2, $3, COALESCE(a.accel, 'tcg'), 'building'
         FROM agents a
        WHERE a.state = 'active' AND a.api_url IS NOT NULL
          AND a.last_heartbeat_at > now() - make_interval(secs => $4)
          AND NOT EXISTS (SELECT 1 FROM templates t WHERE t.agent_id = a.id AND t.image_version_id = $1
                            AND t.vcpus = $2 AND t.memory_mib = $3 AND t.state <> 'deleted')
       ON CONFLICT DO NOTHING
       RETURNING id, agent_id`,
      [imageVersionId, pool.vcpus, pool.memoryMib, this.config.agents.heartbeatTimeoutS],
    )) as { id: string; agent_id: string }[];
    if (claimed.length === 0) return;
    const [v] = (await this.ds.query(
      `SELECT v.disk_path, v.kernel_path, v.initrd_path, v.recipe_hash, v.manifest
         FROM image_versions v WHERE v.id = $1`,
      [imageVersionId],
    )) as VersionFiles[];
    const req: CreateTemplateRequest = {
      imageVersion: agentImageKey(imageVersionId),
      shape: { vcpus: pool.vcpus, memoryMiB: pool.memoryMib },
      image: imageSource(v),
    };
    for (const t of claimed) {
      const job = this.buildTemplate(t.id, t.agent_id, req)
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
    const [a] = (await this.ds.query(`SELECT name, api_url, api_token FROM agents WHERE id = $1`, [
      agentId,
    ])) as {
      name: string;
      api_url: string;
      api_token: string;
    }[];
    try {
      const t = await this.agents.ensureTemplate({ apiUrl: a.api_url, apiToken: a.api_token }, req);
      await this.ds.transaction(async (tx) => {
        await freeTemplateRef(tx, agentId, t.id, { rowId });
        await tx.query(
          `UPDATE templates SET agent_template_id = $2, state = $3, accel = $4, device_state_bytes = $5, build_ms = $6
            WHERE id = $1`,
          [
            rowId,
            t.id,
            t.state === 'ready' ? 'ready' : t.state,
            t.accel,
            t.deviceStateBytes,
            Math.round(t.buildMs),
          ],
        );
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
      await this.ds.query(`UPDATE templates SET state = 'failed' WHERE id = $1`, [rowId]);
    }
  }
}
