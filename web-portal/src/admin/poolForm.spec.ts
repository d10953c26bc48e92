import type { PoolView } from '@forkdesk/broker-contract';
import { changedFields, EMPTY_POOL, poolProblems, toPoolInput, valuesOf } from './poolForm';

describe('pool form', () => {
  const good = { ...EMPTY_POOL, name: 'dev-desktops', imageId: 'img-1' };

  it('accepts a sensible pool and converts numbers', () => {
    expect(poolProblems(good)).toEqual({});
    expect(poolProblems({ ...good, name: 'Standard desktop' })).toEqual({});
    expect(toPoolInput(good)).toEqual({
      name: 'dev-desktops',
      imageId: 'img-1',
      vcpus: 2,
      memoryMib: 2048,
      cpuLimitPercent: null,
      minSpare: 1,
      maxSize: 10,
      refreshPolicy: 'on_logoff',
      idleTimeoutMin: 60,
      networkMode: 'restricted',
      assignmentMode: 'floating',
      persistentHome: false,
    });
  });

  it('names each problem on its field', () => {
    const p = poolProblems({ ...good, name: 'bad/name', imageId: '', vcpus: '1.5', maxSize: '' });
    expect(Object.keys(p).sort()).toEqual(['imageId', 'maxSize', 'name', 'vcpus']);
    expect(p.vcpus).toBe('vCPUs must be a whole number from 1 to 64.');
    expect(poolProblems({ ...good, minSpare: '5', maxSize: '2' }).minSpare).toMatch(
      /cannot exceed/,
    );
  });

  it('carries the assignment mode and the persistent home', () => {
    const v = { ...good, assignmentMode: 'dedicated', persistentHome: 'true' };
    expect(toPoolInput(v)).toMatchObject({ assignmentMode: 'dedicated', persistentHome: true });
  });

  it('takes an empty CPU limit as none and a limit up to 100 per vCPU', () => {
    expect(toPoolInput({ ...good, cpuLimitPercent: ' ' }).cpuLimitPercent).toBeNull();
    expect(poolProblems({ ...good, cpuLimitPercent: '200' })).toEqual({});
    expect(toPoolInput({ ...good, cpuLimitPercent: '150' }).cpuLimitPercent).toBe(150);
    for (const bad of ['5', '201', '50.5', 'half'])
      expect(poolProblems({ ...good, cpuLimitPercent: bad }).cpuLimitPercent).toBe(
        'CPU limit must be a whole number from 10 to 200 (100 per vCPU), or empty for no limit.',
      );
    // With a bad vCPU count only that is named: the limit's range depends on it.
    expect(Object.keys(poolProblems({ ...good, vcpus: '0', cpuLimitPercent: '150' }))).toEqual([
      'vcpus',
    ]);
    const view = { ...toPoolInput(good), cpuLimitPercent: 50 } as PoolView;
    expect(valuesOf(view).cpuLimitPercent).toBe('50');
    expect(valuesOf({ ...view, cpuLimitPercent: null }).cpuLimitPercent).toBe('');
    const before = toPoolInput(good);
    expect(changedFields({ ...before, cpuLimitPercent: 50 }, before)).toEqual({
      cpuLimitPercent: null,
    });
  });

  it('patches only what changed', () => {
    const before = toPoolInput(good);
    expect(changedFields(before, { ...before, maxSize: 20, minSpare: 2 })).toEqual({
      maxSize: 20,
      minSpare: 2,
    });
  });
});
