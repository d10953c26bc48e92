import { changedFields, EMPTY_POOL, poolProblems, toPoolInput } from './poolForm';

describe('pool form', () => {
  const good = { ...EMPTY_POOL, name: 'dev-desktops', imageId: 'img-1' };

  it('accepts a sensible pool and converts numbers', () => {
    expect(poolProblems(good)).toEqual({});
    expect(toPoolInput(good)).toEqual({
      name: 'dev-desktops',
      imageId: 'img-1',
      vcpus: 2,
      memoryMib: 2048,
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
    const p = poolProblems({ ...good, name: 'bad name', imageId: '', vcpus: '1.5', maxSize: '' });
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

  it('patches only what changed', () => {
    const before = toPoolInput(good);
    expect(changedFields(before, { ...before, maxSize: 20, minSpare: 2 })).toEqual({
      maxSize: 20,
      minSpare: 2,
    });
  });
});
