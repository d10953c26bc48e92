// How much guest work the host starts at once. On a small host, ten personalizations (and the
// forks of their replacement spares) started together all crawl and time out together; run a
// few at a time instead: users' personalizations, then forks someone waits for, then spares,
// each class first come first served.

/** Lower runs first. */
export const Priority = {
  /** Someone waits to see this desktop. */
  Personalize: 0,
  /** A new child someone waits for (a desktop being opened without a spare, a CLI's fork). */
  Fork: 1,
  /** A spare for later. */
  Spare: 2,
} as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

interface Waiter {
  priority: Priority;
  seq: number;
  start(): void;
}

export class PriorityGate {
  private running = 0;
  private seq = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be ≥ 1');
  }

  /** Jobs started and not yet finished, and jobs waiting for a turn. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(priority: Priority, job: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit || this.waiting.length > 0) {
      await new Promise<void>((start) => {
        this.waiting.push({ priority, seq: this.seq++, start });
        this.waiting.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
      });
    } else this.running++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      // The turn passes straight to the next job: `running` stays counted for it.
      if (next) next.start();
      else this.running--;
    }
  }
}
