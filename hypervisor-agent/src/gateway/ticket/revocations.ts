import { TICKET_MAX_TTL_MS, ticketIssuedAt, type DisplayTicket } from '@forkdesk/agent-contract';

/**
 * Display access withdrawn by the broker (log-off, a disabled user, a new password): tickets
 * for that desktop (and user) issued before the revocation are refused. A revocation is kept
 * one ticket lifetime: by then every ticket issued before it has expired anyway.
 */
export class Revocations {
  /** `desktop` or `desktop\0user` → when access was revoked. */
  private readonly at = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  revoke(desktop: string, user?: string): void {
    this.prune();
    this.at.set(user === undefined ? desktop : `${desktop}\0${user}`, this.now());
  }

  isRevoked(t: DisplayTicket): boolean {
    const issued = ticketIssuedAt(t);
    return [this.at.get(t.desktop), this.at.get(`${t.desktop}\0${t.user}`)].some(
      (at) => at !== undefined && issued < at,
    );
  }

  private prune(): void {
    const oldest = this.now() - TICKET_MAX_TTL_MS;
    for (const [k, at] of this.at) if (at < oldest) this.at.delete(k);
  }
}
