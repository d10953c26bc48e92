// Pre-started paused children of one template, so a fork is only load + cont. The pool's size
// follows the recent fork rate (at least one, at most `max`) and refills in the background.
import { logger } from '../logger';
import { PreparedChild } from './child';

/** Recent forks per second → how many children to keep ready (pure). */
export function warmTarget(
  forkTimes: number[],
  now: number,
  max: number,
  windowMs = 10_000,
): number {
  if (max <= 0) return 0;
  const recent = forkTimes.filter((t) => now - t <= windowMs).length;
  const perSecond = recent / (windowMs / 1000);
  // Enough to absorb one second of forks while refilling (a refill takes ~0.1 s of QEMU start).
  return Math.min(max, Math.max(1, Math.ceil(perSecond)));
}

export class WarmPool {
  private readonly ready: PreparedChild[] = [];
  private filling = 0;
  private readonly forkTimes: number[] = [];
  private closed = false;

  constructor(
    readonly templateId: string,
    private readonly max: number,
    private readonly prepare: () => Promise<PreparedChild>,
    private readonly discard: (p: PreparedChild) => Promise<void>,
    /** Refill only while this says there is memory to spare. */
    private readonly mayGrow: () => boolean,
  ) {}

  get size(): number {
    return this.ready.length;
  }

  /**
   * A ready child, or undefined (the caller then forks cold). The caller calls refill() once
   * its fork is done: a refill started now would take CPU from the fork being timed.
   */
  take(): PreparedChild | undefined {
    const now = Date.now();
    this.forkTimes.push(now);
    while (this.forkTimes.length && now - (this.forkTimes[0] ?? now) > 60_000)
      this.forkTimes.shift();
    let p: PreparedChild | undefined;
    while ((p = this.ready.shift())) {
      if (!p.qmp.closed) break;
      void this.discard(p);
    }
    return p;
  }

  refill(): void {
    if (this.closed) return;
    const target = warmTarget(this.forkTimes, Date.now(), this.max);
    if (this.ready.length + this.filling >= target || this.filling > 0 || !this.mayGrow()) return;
    this.filling++;
    this.prepare()
      .then((p) => {
        if (this.closed) return this.discard(p);
        this.ready.push(p);
      })
      .catch((err: Error) =>
        logger.warn({ template: this.templateId, err: err.message }, 'warm child failed'),
      )
      .finally(() => {
        this.filling--;
        // Keep filling one at a time: the host's cores also run the forks themselves.
        if (!this.closed) setImmediate(() => this.refill());
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.ready.splice(0);
    await Promise.all(all.map((p) => this.discard(p)));
  }

  /** Resolves once no refill is running (so callers measure a settled pool). */
  async settle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.filling > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
}
