/**
 * Runs an async job for the most recent value only, one run at a time: values pushed while a
 * run is under way replace each other, and the last one runs next. A browser window being
 * dragged sends dozens of sizes a second; the guest needs only the final one.
 */
export class LatestOnly<T> {
  private pending?: { value: T };
  private running = false;

  constructor(
    private readonly job: (value: T) => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  push(value: T): void {
    this.pending = { value };
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.pending) {
      const { value } = this.pending;
      this.pending = undefined;
      try {
        await this.job(value);
      } catch (e) {
        this.onError(e instanceof Error ? e : new Error(String(e)));
      }
    }
    this.running = false;
  }
}
