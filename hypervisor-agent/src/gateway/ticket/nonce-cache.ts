/** Remembers used nonces until their ticket expires, so each ticket opens one connection. */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  /** True the first time a nonce is seen; false on reuse. */
  use(nonce: string, exp: number, now = Date.now()): boolean {
    this.prune(now);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, exp);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    for (const [n, exp] of this.seen) if (exp <= now) this.seen.delete(n);
  }
}
