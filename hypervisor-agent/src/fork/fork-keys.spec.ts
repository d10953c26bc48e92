import type { ChildInfo } from '@forkdesk/agent-contract';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ForkKeys } from './fork-keys';

const child = (id: string): ChildInfo => ({ id }) as ChildInfo;

describe('ForkKeys', () => {
  it('forks once per key; a concurrent or later retry gets the same children', async () => {
    const keys = new ForkKeys();
    let forks = 0;
    const fork = async () => [child(`vm-${++forks}`)];
    const [a, b] = await Promise.all([
      keys.run('desk-1', 'tpl', 1, fork),
      keys.run('desk-1', 'tpl', 1, fork),
    ]);
    const c = await keys.run('desk-1', 'tpl', 1, fork);
    expect(forks).toBe(1);
    expect([a[0].id, b[0].id, c[0].id]).toEqual(['vm-1', 'vm-1', 'vm-1']);
    expect((await keys.run('desk-2', 'tpl', 1, fork))[0].id).toBe('vm-2');
  });

  it('lets a failed fork be retried for real', async () => {
    const keys = new ForkKeys();
    await expect(
      keys.run('k', 'tpl', 1, () => Promise.reject(new Error('no memory'))),
    ).rejects.toThrow('no memory');
    await Promise.resolve();
    expect((await keys.run('k', 'tpl', 1, async () => [child('vm-9')]))[0].id).toBe('vm-9');
  });

  it('refuses a key reused for another request, and forgets keys after their time', async () => {
    let now = 0;
    const keys = new ForkKeys({ ttlMs: 1000, now: () => now });
    await keys.run('k', 'tpl', 1, async () => [child('a')]);
    expect(() => keys.run('k', 'other', 1, async () => [])).toThrow(/another fork request/);
    now = 2000;
    expect((await keys.run('k', 'other', 1, async () => [child('b')]))[0].id).toBe('b');
    expect(keys.size).toBe(1);
  });

  it('keeps finished forks across a restart, and forgets them after their time there too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fork-keys-'));
    try {
      const file = join(dir, 'fork-keys.json');
      let now = 0;
      const first = new ForkKeys({ file, ttlMs: 1000, now: () => now });
      await first.run('desk-1', 'tpl', 1, async () => [child('vm-1')]);
      await Promise.resolve();
      await expect(
        first.run('fails', 'tpl', 1, () => Promise.reject(new Error('x'))),
      ).rejects.toThrow();
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([
        { key: 'desk-1', templateId: 'tpl', count: 1, at: 0, children: [{ id: 'vm-1' }] },
      ]);
      // The restarted agent: the retry gets the first children, a changed request is refused.
      const again = new ForkKeys({ file, ttlMs: 1000, now: () => now });
      const fork = jest.fn(async () => [child('vm-2')]);
      expect((await again.run('desk-1', 'tpl', 1, fork))[0].id).toBe('vm-1');
      expect(() => again.run('desk-1', 'tpl', 2, fork)).toThrow(/another fork request/);
      expect(fork).not.toHaveBeenCalled();
      now = 2000;
      expect((await again.run('desk-1', 'tpl', 1, fork))[0].id).toBe('vm-2');
      await Promise.resolve();
      const third = new ForkKeys({ file, ttlMs: 1000, now: () => now });
      expect(third.size).toBe(1);
      expect((await third.run('desk-1', 'tpl', 1, fork))[0].id).toBe('vm-2');
      // A file that is not a list (damaged by hand) is an empty start, not a crash.
      writeFileSync(file, '{"half');
      expect(new ForkKeys({ file }).size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
