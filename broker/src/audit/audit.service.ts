import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../common/actor';
import {
  AuditRepository,
  type AuditEntry,
  type AuditQuery,
  type AuditView,
} from './audit.repository';

export type { AuditEntry, AuditQuery, AuditView } from './audit.repository';

/** Who did what, when, from where. Written in the caller's transaction, so a change and its
 * record commit or roll back together. */
@Injectable()
export class AuditService {
  constructor(private readonly repo: AuditRepository) {}

  record(tx: EntityManager, actor: Actor, entry: AuditEntry): Promise<void> {
    return this.repo.insert(tx, actor, entry);
  }

  list(q: AuditQuery): Promise<AuditView[]> {
    return this.repo.list(q);
  }
}
