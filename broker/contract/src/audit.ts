// The audit log: `GET /api/admin/audit`.
import type { Time } from './time';

export interface AuditView<T extends Time = string> {
  at: T;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** The query string: newest first, at most `limit` (1-1000, default 100) events. */
export interface AuditFilter<T extends Time = string> {
  action?: string;
  actor?: string;
  since?: T;
  until?: T;
  limit?: number;
}
