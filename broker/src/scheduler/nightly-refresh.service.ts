import { Inject, Injectable } from '@nestjs/common';
import { Pool, RefreshPolicy } from '@forkdesk/db';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { SYSTEM } from '../common/actor';
import { SettingsRepository } from '../common/settings.repository';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { currentVersion } from '../images/images.service';

const LAST_RUN = 'scheduler.nightly.last';

const localDay = (d: Date): string =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/**
 * At the configured hour, pools with the nightly policy move to their image's current
 * version. Only the pool's version changes here; the reconciler then replaces the spares,
 * and desktops in use keep theirs until logoff. The day of the last run is kept in the
 * settings table under a row lock, so the job runs once a night whichever broker leads.
 */
@Injectable()
export class NightlyRefresh {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly settings: SettingsRepository,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** Runs the refresh if it is due at `now`; returns the number of pools moved, or null
   * when it was not due (wrong hour, or already done today). */
  async runIfDue(now: Date): Promise<number | null> {
    if (now.getHours() !== this.config.scheduler.nightlyHour) return null;
    const day = localDay(now);
    return this.ds.transaction(async (tx) => {
      await this.settings.insertIfAbsent(LAST_RUN, null, tx);
      if ((await this.settings.get<string | null>(LAST_RUN, tx, true)) === day) return null;
      await this.settings.set(LAST_RUN, day, tx);
      let moved = 0;
      const pools = await tx.find(Pool, {
        where: { refreshPolicy: RefreshPolicy.Nightly },
        lock: { mode: 'pessimistic_write' },
      });
      for (const pool of pools) {
        const newest = await currentVersion(tx, pool.imageId);
        if (!newest || newest.id === pool.imageVersionId) continue;
        await tx.update(Pool, { id: pool.id }, { imageVersionId: newest.id });
        await this.audit.record(tx, SYSTEM, {
          action: 'pool.refresh',
          targetType: 'pool',
          targetId: pool.id,
          details: { from: pool.imageVersionId, to: newest.id, version: newest.version, day },
        });
        moved++;
      }
      await this.audit.record(tx, SYSTEM, {
        action: 'scheduler.nightly',
        details: { day, pools: moved },
      });
      return moved;
    });
  }
}
