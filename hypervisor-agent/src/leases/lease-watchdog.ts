// Fencing for persistent disks: a child whose disk lease lapsed is destroyed, so a disk the
// broker hands to another desktop is never attached twice (the broker waits out the expiry).
// The list is kept in a file: a restarted agent that cannot reach the broker still fences.

import type { LeaseRenewal } from '@forkdesk/agent-contract';
import type { Logger } from 'pino';
import type { EnginePort } from '../engine/engine.port';
import { readJson, writeJsonAtomic } from '../vm/state-file';

/** Milliseconds since the epoch; tests pass a fake. */
export type NowMs = () => number;

export type LeasedEngine = Pick<EnginePort, 'destroy' | 'getChild'>;

export class LeaseWatchdog {
  /** Child id → lease expiry (ms). */
  private readonly leases = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private checking?: Promise<string[]>;

  constructor(
    private readonly engine: LeasedEngine,
    private readonly log: Logger,
    private readonly now: NowMs = Date.now,
    /** Where the list is kept across restarts; none: in memory only. */
    private readonly file?: string,
  ) {
    const saved = file ? readJson<Record<string, number>>(file) : undefined;
    for (const [vmId, t] of Object.entries(saved ?? {}))
      if (typeof t === 'number') this.leases.set(vmId, t);
  }

  /** The child holds a disk lease until `expiresAt` (ISO). */
  grant(vmId: string, expiresAt: string): void {
    const t = Date.parse(expiresAt);
    if (Number.isNaN(t)) throw new RangeError(`lease expiry "${expiresAt}" is not a time`);
    this.leases.set(vmId, t);
    this.save();
  }

  /**
   * The broker's word on every lease this host's children hold (heartbeat reply), lapsed
   * ones included: a restarted agent, which lost its own list, takes them up again.
   */
  renew(renewals: readonly LeaseRenewal[]): void {
    for (const r of renewals) {
      const t = Date.parse(r.expiresAt);
      if (!Number.isNaN(t) && this.engine.getChild(r.vmId)) this.leases.set(r.vmId, t);
    }
    this.save();
  }

  forget(vmId: string): void {
    if (this.leases.delete(vmId)) this.save();
  }

  expiry(vmId: string): number | undefined {
    return this.leases.get(vmId);
  }

  /** Destroys every child whose lease lapsed; resolves their ids. */
  check(): Promise<string[]> {
    this.checking ??= this.sweep().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async sweep(): Promise<string[]> {
    const now = this.now();
    const before = this.leases.size;
    const fenced: string[] = [];
    for (const [vmId, expires] of [...this.leases]) {
      if (!this.engine.getChild(vmId)) {
        this.leases.delete(vmId); // destroyed some other way
        continue;
      }
      if (expires > now) continue;
      this.log.warn(
        { vm: vmId, expiredAt: new Date(expires).toISOString() },
        'disk lease lapsed: destroying the child',
      );
      try {
        await this.engine.destroy(vmId);
        this.leases.delete(vmId);
        fenced.push(vmId);
      } catch (err) {
        this.log.error({ err, vm: vmId }, 'could not destroy a child whose lease lapsed');
      }
    }
    if (this.leases.size !== before) this.save();
    return fenced;
  }

  /** A lost write is repaired by the next change or heartbeat: logged, not thrown. */
  private save(): void {
    if (!this.file) return;
    try {
      writeJsonAtomic(this.file, Object.fromEntries(this.leases));
    } catch (err) {
      this.log.error({ err, file: this.file }, 'could not save the disk lease list');
    }
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }
}

/**
 * The engine as the API sees it when leases are fenced: personalize with a lease expiry
 * registers the child before its disk is attached; destroy forgets it.
 */
export function fencedEngine(engine: EnginePort, watchdog: LeaseWatchdog): EnginePort {
  return new Proxy(engine, {
    get(target, prop, receiver) {
      if (prop === 'personalize') {
        return async (...[id, p]: Parameters<EnginePort['personalize']>) => {
          if (p.leaseExpiresAt) watchdog.grant(id, p.leaseExpiresAt);
          await target.personalize(id, p);
        };
      }
      if (prop === 'destroy') {
        return async (id: string) => {
          await target.destroy(id);
          watchdog.forget(id);
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
