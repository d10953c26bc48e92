// Real QEMU (TCG, tiny image): a child holding a home disk lease is destroyed by the watchdog
// once the lease lapses unrenewed; the disk (created by the agent when missing) then goes to
// another child with what the first one wrote.
import type { ChildInfo } from '@forkdesk/agent-contract';
import { existsSync } from 'fs';
import { join } from 'path';
import pino from 'pino';
import { IntEnv, openIntEnv } from '../testing/int-env';
import { fencedEngine, LeaseWatchdog } from './lease-watchdog';

jest.setTimeout(180_000);

describe('lease watchdog on real QEMU', () => {
  let env: IntEnv;
  let children: ChildInfo[];

  beforeAll(async () => {
    env = await openIntEnv('leaseint', { FORKDESK_WARM_POOL_MAX: '0' });
    const t = await env.engine.ensureTemplate({
      imageVersion: env.imageVersion,
      shape: { vcpus: 1, memoryMiB: 256 },
    });
    children = await env.engine.fork(t.id, 2);
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('destroys the child whose lease lapsed, then the disk serves the next holder', async () => {
    const [a, b] = children;
    const watchdog = new LeaseWatchdog(env.engine, pino({ level: 'silent' }));
    const api = fencedEngine(env.engine, watchdog);
    const disk = join(env.cfg.dataDir, 'homes', 'alice.qcow2');
    const sh = async (id: string, script: string): Promise<string> =>
      (await env.engine.exec(id, { command: ['sh', '-c', script] })).stdout.trim();

    await api.personalize(a.id, {
      userName: 'alice',
      persistentDisk: disk,
      persistentDiskSizeMiB: 32,
      leaseExpiresAt: new Date(Date.now() + 4000).toISOString(),
    });
    expect(existsSync(disk)).toBe(true);
    await sh(a.id, 'echo from-a > /home/alice/note && sync');
    // One renewal, then the broker goes silent.
    watchdog.renew([{ vmId: a.id, expiresAt: new Date(Date.now() + 3000).toISOString() }]);
    expect(await watchdog.check()).toEqual([]);

    const t0 = Date.now();
    let fenced: string[] = [];
    while (fenced.length === 0 && Date.now() - t0 < 20_000) {
      await new Promise((r) => setTimeout(r, 250));
      fenced = await watchdog.check();
    }
    expect(fenced).toEqual([a.id]);
    process.stdout.write(`lease watchdog fenced the child ${Date.now() - t0} ms after renewal\n`);
    expect(env.engine.getChild(a.id)).toBeUndefined();
    expect(existsSync(`/proc/${a.pid}`)).toBe(false);
    expect(env.engine.getChild(b.id)?.state).toBe('running');

    await api.personalize(b.id, {
      userName: 'alice',
      persistentDisk: disk,
      leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(await sh(b.id, 'cat /home/alice/note')).toBe('from-a');
    await api.destroy(b.id);
    expect(watchdog.expiry(b.id)).toBeUndefined();
  });
});
