import { Injectable } from '@nestjs/common';
import type * as contract from '@forkdesk/broker-contract';
import { AuditEvent } from '@forkdesk/db';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '../common/actor';

export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

/** The contract's filter, its limit defaulted. */
export type AuditQuery = contract.AuditFilter<Date> & { limit: number };

export type AuditView = contract.AuditView<Date>;

/** The audit_events table: appended to in the caller's transaction, read newest first. */
@Injectable()
export class AuditRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(tx: EntityManager, actor: Actor, entry: AuditEntry): Promise<void> {
    await tx.query(
      `INSERT INTO audit_events (actor, actor_user_id, ip, action, target_type, target_id, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
      [
        actor.name,
        actor.userId,
        actor.ip,
        entry.action,
        entry.targetType ?? null,
        entry.targetId ?? null,
        JSON.stringify(entry.details ?? {}),
      ],
    );
  }

  async list(q: AuditQuery): Promise<AuditView[]> {
    const qb = this.ds
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .orderBy('e.at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(q.limit);
    if (q.action?.endsWith('.')) {
      // 'desktop.' matches every desktop action.
      qb.andWhere("e.action LIKE :prefix ESCAPE '\\'", {
        prefix: `${q.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      });
    } else if (q.action) {
      qb.andWhere('e.action = :action', { action: q.action });
    }
    if (q.actor) qb.andWhere('e.actor = :actor', { actor: q.actor });
    if (q.since) qb.andWhere('e.at >= :since', { since: q.since });
    if (q.until) qb.andWhere('e.at < :until', { until: q.until });
    const rows = await qb.getMany();
    return rows.map((e) => ({
      at: e.at,
      actor: e.actor,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId,
      ip: e.ip,
      details: e.details,
    }));
  }
}
