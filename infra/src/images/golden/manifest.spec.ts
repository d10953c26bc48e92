import { imageSizes, parsePackageList, validateManifest } from './manifest';

describe('image manifest', () => {
  it('parses dpkg-query output into a sorted package list', () => {
    expect(parsePackageList('xterm\t379-1\nbash\t5.2.15-2+b7\n\n')).toEqual([
      { name: 'bash', version: '5.2.15-2+b7' },
      { name: 'xterm', version: '379-1' },
    ]);
    expect(() => parsePackageList('broken-line-without-version\n')).toThrow(
      /bad package list line/,
    );
  });

  it('totals disk, kernel and initramfs in MiB', () => {
    expect(
      imageSizes({
        diskBytes: 1000 * 1048576,
        virtualBytes: 3 << 30,
        kernelBytes: 8 << 20,
        initrdBytes: 6 << 20,
      }).totalMiB,
    ).toBe(1014);
  });

  const good = {
    name: 'golden',
    hash: '0123456789abcdef',
    kind: 'built',
    kernel: '/c/vmlinuz',
    initrd: '/c/initrd.img',
    disk: '/c/disk.qcow2',
    append: 'root=/dev/vda',
    kernelRelease: '6.1.0-50-amd64',
    createdAt: '2025-01-01T00:00:00.000Z',
    readyCheck: ['/usr/local/sbin/forkdesk-ready'],
    sizes: { diskBytes: 1, virtualBytes: 2, kernelBytes: 3, initrdBytes: 4, totalMiB: 0 },
    buildSeconds: 90,
    packages: [],
  };

  it('accepts a complete manifest and lists every problem of a bad one', () => {
    expect(validateManifest(good).name).toBe('golden');
    expect(() => validateManifest({ ...good, kind: 'other', disk: '', readyCheck: 'x' })).toThrow(
      'invalid image manifest: disk must be a non-empty string; kind must be "built" or "imported"; readyCheck must be an array of strings',
    );
    expect(() => validateManifest(null)).toThrow(/not a JSON object/);
  });
});
