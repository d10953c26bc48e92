import type { ChildInfo, Personalization } from '@forkdesk/agent-contract';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import pino from 'pino';
import type { EnginePort } from '../engine/engine.port';
import { fencedEngine, LeaseWatchdog } from './lease-watchdog';

/** FAKE engine: children in a set; destroy removes them. */
class FakeEngine {
  readonly alive = new Set<string>();
  readonly personalized: { id: string; p: Personalization }[] = [];
  failDestroy = false;
  getChild(id: string): ChildInfo | undefined {
    return this.alive.has(id) ? ({ id } as ChildInfo) : undefined;
  }
  async destroy(id: string): Promise<void> {
    if (this.failDestroy) throw new Error('fake: destroy failed');
    this.alive.delete(id);
  }
  async personalize(id: string, p: Personalization): Promise<void> {
    this.personalized.push({ id, p });
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

describe('LeaseWatchdog', () => {
  let now = 1_000_000;
  const clock = () => now;
  const log = pino({ level: 'silent' });

  it('destroys a child once its lease lapses, not before', async () => {
    const engine = new FakeEngine();
    engine.alive.add('a').add('b');
    const w = new LeaseWatchdog(engine, log, clock);
    w.grant('a', iso(now + 10_000));
    w.grant('b', iso(now + 20_000));
    expect(await w.check()).toEqual([]);
    now += 10_000; // exactly at expiry: lapsed
    expect(await w.check()).toEqual(['a']);
    expect([...engine.alive]).toEqual(['b']);
    expect(w.expiry('a')).toBeUndefined();
  });

  it('keeps a child whose lease the broker renews; takes up leases it did not know (restart)', async () => {
    const engine = new FakeEngine();
    engine.alive.add('a').add('adopted').add('free');
    const w = new LeaseWatchdog(engine, log, clock);
    w.grant('a', iso(now + 5_000));
    now += 4_000;
    w.renew([
      { vmId: 'a', expiresAt: iso(now + 5_000) },
      { vmId: 'adopted', expiresAt: iso(now - 1) },
      { vmId: 'gone', expiresAt: iso(now + 5_000) },
    ]);
    expect(w.expiry('gone')).toBeUndefined();
    expect(await w.check()).toEqual(['adopted']);
    now += 4_000;
    expect(await w.check()).toEqual([]);
    now += 2_000;
    expect(await w.check()).toEqual(['a']);
    expect([...engine.alive]).toEqual(['free']);
  });

  it('retries a failed destroy at the next check and forgets children gone elsewhere', async () => {
    const engine = new FakeEngine();
    engine.alive.add('a').add('b');
    const w = new LeaseWatchdog(engine, log, clock);
    w.grant('a', iso(now - 1));
    w.grant('b', iso(now + 60_000));
    engine.failDestroy = true;
    expect(await w.check()).toEqual([]);
    engine.failDestroy = false;
    engine.alive.delete('b');
    expect(await w.check()).toEqual(['a']);
    expect(w.expiry('b')).toBeUndefined();
  });

  it('refuses an expiry that is not a time', () => {
    const w = new LeaseWatchdog(new FakeEngine(), log, clock);
    expect(() => w.grant('a', 'tomorrow')).toThrow(RangeError);
  });

  it('fencedEngine registers the lease before personalizing and forgets it on destroy', async () => {
    const engine = new FakeEngine();
    engine.alive.add('a');
    const w = new LeaseWatchdog(engine, log, clock);
    const api = fencedEngine(engine as unknown as EnginePort, w);
    await api.personalize('a', { leaseExpiresAt: iso(now + 1000), persistentDisk: '/d.qcow2' });
    expect(w.expiry('a')).toBe(now + 1000);
    expect(engine.personalized).toHaveLength(1);
    expect(api.getChild('a')?.id).toBe('a');
    await api.destroy('a');
    expect(w.expiry('a')).toBeUndefined();
  });

  it('a restarted watchdog takes its list up again from its file and still fences', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leases-'));
    try {
      const file = join(dir, 'disk-leases.json');
      const engine = new FakeEngine();
      engine.alive.add('a').add('b').add('c');
      const first = new LeaseWatchdog(engine, log, clock, file);
      first.grant('a', iso(now + 1000));
      first.grant('b', iso(now + 60_000));
      first.grant('c', iso(now + 60_000));
      first.forget('c');
      await first.stop();
      // The agent restarts with no broker to renew from: the lapsed lease is fenced all the same.
      const again = new LeaseWatchdog(engine, log, clock, file);
      expect([again.expiry('a'), again.expiry('b'), again.expiry('c')]).toEqual([
        now + 1000,
        now + 60_000,
        undefined,
      ]);
      now += 1000;
      expect(await again.check()).toEqual(['a']);
      expect(new LeaseWatchdog(engine, log, clock, file).expiry('a')).toBeUndefined();
      writeFileSync(file, 'not json');
      expect(new LeaseWatchdog(engine, log, clock, file).expiry('b')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
