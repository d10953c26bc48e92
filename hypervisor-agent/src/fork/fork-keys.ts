// Idempotent forks: the broker commits a `forking` desktop first and sends its id as the key,
// so a fork request it retries (timeout, lost answer) joins the first one instead of
// starting a second VM. Finished forks are kept in a file too: a retry that reaches a
// restarted agent gets the children the first request made.

import type { ChildInfo } from '@forkdesk/agent-contract';
import { ConflictError } from '../engine/errors';
import { logger } from '../logger';
import { readJson, writeJsonAtomic } from '../vm/state-file';

interface Entry {
  templateId: string;
  count: number;
  at: number;
  children: Promise<ChildInfo[]>;
}

/** A finished fork as the file keeps it. */
interface SavedEntry {
  key: string;
  templateId: string;
  count: number;
  at: number;
  children: ChildInfo[];
}

/** Keys are remembered this long (the broker gives a fork up after minutes). */
const KEY_TTL_MS = 30 * 60_000;

export interface ForkKeysOptions {
  /** Where finished forks are kept across restarts; none: in memory only. */
  file?: string;
  ttlMs?: number;
  now?: () => number;
}

export class ForkKeys {
  private readonly entries = new Map<string, Entry>();
  /** Finished forks, the file's content. */
  private readonly done = new Map<string, SavedEntry>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: ForkKeysOptions = {}) {
    this.ttlMs = opts.ttlMs ?? KEY_TTL_MS;
    this.now = opts.now ?? Date.now;
    const saved = opts.file ? readJson<SavedEntry[]>(opts.file) : undefined;
    for (const e of Array.isArray(saved) ? saved : []) {
      this.done.set(e.key, e);
      this.entries.set(e.key, { ...e, children: Promise.resolve(e.children) });
    }
  }

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
    const at = this.now();
    const children = fork();
    this.entries.set(key, { templateId, count, at, children });
    children.then(
      (made) => {
        this.done.set(key, { key, templateId, count, at, children: made });
        this.save();
      },
      // A failed fork made nothing: a retry may really fork.
      () => this.entries.delete(key),
    );
    return children;
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(): void {
    const oldest = this.now() - this.ttlMs;
    for (const [k, e] of this.entries) if (e.at < oldest) this.entries.delete(k);
    let pruned = false;
    for (const [k, e] of this.done) if (e.at < oldest) pruned = this.done.delete(k);
    if (pruned) this.save();
  }

  /** A key the file lost only costs a second VM on a retry after a restart: logged, not thrown. */
  private save(): void {
    if (!this.opts.file) return;
    try {
      writeJsonAtomic(this.opts.file, [...this.done.values()]);
    } catch (err) {
      logger.error({ err, file: this.opts.file }, 'could not save the fork idempotency keys');
    }
  }
}
