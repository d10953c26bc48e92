import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { SessionStore } from '../auth/session.store';
import { SYSTEM } from '../common/actor';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER } from '../common/logger';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { DesktopsService } from '../desktops/desktops.service';
import { ForkService } from '../desktops/fork.service';
import { HoldsService } from '../desktops/holds.service';
import { PoolEvents } from '../desktops/pool-events';
import { DesktopStateMachine } from '../lifecycle/desktop-state';
import { DesktopState as S } from '@forkdesk/db';
import { BrokerMetrics } from '../common/metrics';
import { LeaderLock } from './leader-lock';
import { NightlyRefresh } from './nightly-refresh.service';
import { PoolReconciler } from './pool-reconciler.service';
import { SchedulerRepository } from './scheduler.repository';

const TICK = 'forkdesk-scheduler';

/**
 * The periodic jobs. Every broker ticks; only the holder of the advisory lock works, so
 * several brokers on one database run each job once.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly lock: LeaderLock;
  private running?: Promise<void>;

  constructor(
    private readonly ds: DataSource,
    private readonly repo: SchedulerRepository,
    private readonly registry: SchedulerRegistry,
    private readonly reconciler: PoolReconciler,
    private readonly nightly: NightlyRefresh,
    private readonly agents: AgentsService,
    private readonly desktops: DesktopsService,
    private readonly forks: ForkService,
    private readonly holds: HoldsService,
    private readonly states: DesktopStateMachine,
    private readonly sessions: SessionStore,
    private readonly events: PoolEvents,
    private readonly metrics: BrokerMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.lock = new LeaderLock(config.databaseUrl, log.child({ component: 'leader' }));
  }

  onApplicationBootstrap(): void {
    if (!this.config.scheduler.enabled) return;
    this.registry.addInterval(
      TICK,
      setInterval(() => void this.tick(), this.config.scheduler.tickMs),
    );
    // A logoff or a failed fork: refill that pool now rather than at the next tick.
    this.events.onChanged((poolId) => {
      this.reconciler
        .reconcilePool(poolId)
        .catch((err: unknown) => this.log.warn({ err, poolId }, 'reconcile failed'));
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.registry.doesExist('interval', TICK)) this.registry.deleteInterval(TICK);
    await this.running;
    await this.lock.release();
  }

  /** One round of every job, if this broker leads; returns whether it led. */
  tick(): Promise<boolean> {
    if (this.running) return this.running.then(() => false);
    const run = this.round();
    this.running = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => (this.running = undefined));
  }

  private async round(): Promise<boolean> {
    const leads = await this.lock.ensure();
    this.metrics.leader.set(leads ? 1 : 0);
    if (!leads) return false;
    await this.job('agents', () => this.agents.checkSilent());
    await this.job('stuck', () => this.finishStuck());
    await this.job('disconnect', () => this.disconnectLogoffs());
    await this.job('holds', () => this.holds.expire());
    await this.job('nightly', () => this.nightly.runIfDue(this.clock.now()));
    await this.job('reconcile', () => this.reconciler.reconcileAll());
    await this.job('sessions', () => this.sessions.purgeExpired());
    return true;
  }

  private async job(name: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
      this.metrics.schedulerRuns.inc({ job: name, ok: 'true' });
    } catch (err) {
      this.metrics.schedulerRuns.inc({ job: name, ok: 'false' });
      this.log.error({ err, job: name }, 'scheduler job failed');
    }
  }

  /** Forks that never came back are given up; destroys that failed are tried again. */
  private async finishStuck(): Promise<void> {
    for (const id of await this.repo.stuckForks(this.config.scheduler.forkTimeoutS)) {
      await this.ds.transaction((tx) =>
        this.states.move(tx, id, [S.Forking], S.Destroyed, SYSTEM, {
          last_error: 'fork timed out',
          reserved_user_id: null,
        }),
      );
    }
    for (const id of await this.repo.stuckDestroys()) await this.forks.destroy(id);
  }

  /**
   * The disconnect timeout: desktops whose owner is disconnected (or never connected since
   * assignment) for longer than their pool's timeout are logged off; the pool's assignment
   * mode decides what logoff does (floating: destroyed and refilled; dedicated: kept).
   * Desktops kept for their users go too once their pool turned floating.
   */
  private async disconnectLogoffs(): Promise<void> {
    const due = await this.repo.disconnectedTooLong(this.clock.now());
    for (const id of due) await this.desktops.logoff(id, SYSTEM, null, 'disconnect timeout');
  }
}
