import type { ChildInfo } from '@forkdesk/agent-contract';
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
    const keys = new ForkKeys(1000, () => now);
    await keys.run('k', 'tpl', 1, async () => [child('a')]);
    expect(() => keys.run('k', 'other', 1, async () => [])).toThrow(/another fork request/);
    now = 2000;
    expect((await keys.run('k', 'other', 1, async () => [child('b')]))[0].id).toBe('b');
    expect(keys.size).toBe(1);
  });
});
