/**
 * Login attempts per client address in a sliding minute, in memory: a first line against
 * password spraying from one place. The per-user lockout (in the database, shared by all
 * brokers) is the second.
 */
export class LoginThrottle {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** Seconds to wait, or 0 when this attempt may go ahead (and is counted). */
  take(key: string, now = Date.now()): number {
    if (this.perMinute === 0) return 0;
    const since = now - 60_000;
    const recent = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (recent.length >= this.perMinute) {
      this.hits.set(key, recent);
      return Math.max(1, Math.ceil((recent[0] + 60_000 - now) / 1000));
    }
    recent.push(now);
    this.hits.set(key, recent);
    if (this.hits.size > 10_000) this.prune(since);
    return 0;
  }

  private prune(since: number): void {
    for (const [k, ts] of this.hits) if (ts[ts.length - 1] <= since) this.hits.delete(k);
  }
}
