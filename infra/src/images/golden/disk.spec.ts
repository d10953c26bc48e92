import { mountsUnder } from './build';
import { diskSizeMiB, mkfsArgs } from './disk';

describe('disk packing', () => {
  it('sizes the disk for the tree plus headroom, in 256 MiB steps', () => {
    expect(diskSizeMiB(1000)).toBe(2048);
    expect(diskSizeMiB(1100) % 256).toBe(0);
    expect(diskSizeMiB(1100)).toBeGreaterThanOrEqual(1100 * 1.2 + 768);
    expect(() => diskSizeMiB(0)).toThrow(/bad tree size/);
  });

  it('makes ext4 from the tree without mounting, root owned by root', () => {
    expect(mkfsArgs('/t/rootfs', '/t/disk.raw', 'forkdesk-root')).toEqual([
      '-q',
      '-F',
      '-L',
      'forkdesk-root',
      '-m',
      '1',
      '-E',
      'root_owner=0:0',
      '-d',
      '/t/rootfs',
      '/t/disk.raw',
    ]);
  });

  it('finds mounts left under a failed build, deepest first, and nothing beside it', () => {
    const mountinfo = [
      '22 1 0:21 / / rw - ext4 /dev/vda rw',
      '30 22 0:5 / /c/golden-1.tmp-9/rootfs/dev rw - devtmpfs udev rw',
      '31 30 0:6 / /c/golden-1.tmp-9/rootfs/dev/pts rw - devpts devpts rw',
      '32 22 0:7 / /c/golden-1.tmp-99/rootfs/proc rw - proc proc rw',
    ].join('\n');
    expect(mountsUnder(mountinfo, '/c/golden-1.tmp-9')).toEqual([
      '/c/golden-1.tmp-9/rootfs/dev/pts',
      '/c/golden-1.tmp-9/rootfs/dev',
    ]);
  });
});
