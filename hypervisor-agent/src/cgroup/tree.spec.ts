import { ownCgroupPath } from './tree';

describe('ownCgroupPath', () => {
  const hybrid = '9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/svc\n';
  it('finds the v2 and the v1 memory path', () => {
    expect(ownCgroupPath(hybrid, 'v2')).toBe('/svc');
    expect(ownCgroupPath(hybrid, 'memory')).toBe('/process_api/abc');
    expect(ownCgroupPath('0::/\n', 'memory')).toBeUndefined();
  });
});
