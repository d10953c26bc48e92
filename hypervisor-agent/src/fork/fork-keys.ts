// Idempotent forks: the broker commits a `forking` desktop first and sends its id as the key,
// so a fork request it retries (timeout, lost answer) joins the first one instead of
// starting a second VM.

import type { ChildInfo } from '@forkdesk/agent-contract';
import { ConflictError } from '../engine/errors';

interface Entry {
  templateId: string;
  count: number;
  at: number;
  children: Promise<ChildInfo[]>;
}

/** Keys are remembered this long (the broker gives a fork up after minutes). */
const KEY_TTL_MS = 30 * 60_000;

export class ForkKeys {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = KEY_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `fork` once per key; a retry gets the first request's children (or waits for them). */
  run(
    key: string,
    templateId: string,
    count: number,
    fork: () => Promise<ChildInfo[]>,
  ): Promise<ChildInfo[]> {
    this.prune();
    const e = this.entries.get(key);
    if (e) {
      if (e.templateId !== templateId || e.count !== count)
        throw new ConflictError(`idempotency key "${key}" was used for another fork request`);
      return e.children;
    }
    const children = fork();
    this.entries.set(key, { templateId, count, at: this.now(), children });
    // A failed fork made nothing: a retry may really fork.
    children.catch(() => this.entries.delete(key));
    return children;
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(): void {
    const oldest = this.now() - this.ttlMs;
    for (const [k, e] of this.entries) if (e.at < oldest) this.entries.delete(k);
  }
}
