import { homedir } from 'os';
import { loadConfig } from '../config';
import { VmSpec } from '../vm/args';
import { templateFiles } from './builder';
import { CACHE_MAX_AGE_MS, entriesToEvict, relocateSpec, templateCacheKey } from './template-cache';

const DAY = 24 * 3600_000;

describe('template cache config', () => {
  it('defaults beside the image cache, follows XDG_CACHE_HOME, and is off when empty', () => {
    expect(loadConfig({}).templateCacheDir).toBe(`${homedir()}/.cache/forkdesk/templates`);
    expect(loadConfig({ XDG_CACHE_HOME: '/c' }).templateCacheDir).toBe('/c/forkdesk/templates');
    expect(loadConfig({ FORKDESK_TEMPLATE_CACHE_DIR: '/x' }).templateCacheDir).toBe('/x');
    expect(loadConfig({ FORKDESK_TEMPLATE_CACHE_DIR: '' }).templateCacheDir).toBe('');
  });
});

describe('relocateSpec', () => {
  const built: VmSpec = {
    id: 't-0123456789abcdef',
    accel: 'tcg',
    tcgTbSizeMiB: 32,
    cpuModel: 'qemu64',
    vcpus: 1,
    memoryMiB: 256,
    ram: { kind: 'shared', path: '/dev/shm/a/t-0123456789abcdef.ram' },
    kernel: '/a/images/tiny-1/vmlinuz',
    initrd: '/a/images/tiny-1/initrd.img',
    append: 'console=ttyS0',
    disk: '/a/templates/t-0123456789abcdef.building/overlay.qcow2',
    vmgenid: '5f1c9d2e-0000-4000-8000-000000000001',
    qmpSocket: '/a/templates/t-0123456789abcdef.building/qmp.sock',
    qgaSocket: '/a/templates/t-0123456789abcdef.building/qga.sock',
    vncSocket: '/a/templates/t-0123456789abcdef.building/vnc.sock',
    consoleLog: '/a/templates/t-0123456789abcdef.building/console.log',
    hotplugPorts: 2,
    incoming: false,
    runAsUser: 'forkdesk',
    sandbox: true,
  };

  it('moves every path into this data dir and keeps what the frozen guest booted with', () => {
    const files = templateFiles(
      '/b/templates/t-fedcba9876543210',
      '/dev/shm/b',
      't-fedcba9876543210',
    );
    const spec = relocateSpec(built, {
      id: 't-fedcba9876543210',
      files,
      buildDir: '/b/templates/t-fedcba9876543210.building',
      image: { kernel: '/b/images/tiny-1/vmlinuz', initrd: '/b/images/tiny-1/initrd.img' },
      runAsUser: '',
      sandbox: false,
    });
    expect(spec).toEqual({
      ...built,
      id: 't-fedcba9876543210',
      ram: { kind: 'shared', path: '/dev/shm/b/t-fedcba9876543210.ram' },
      kernel: '/b/images/tiny-1/vmlinuz',
      initrd: '/b/images/tiny-1/initrd.img',
      disk: '/b/templates/t-fedcba9876543210/overlay.qcow2',
      qmpSocket: '/b/templates/t-fedcba9876543210.building/qmp.sock',
      qgaSocket: '/b/templates/t-fedcba9876543210.building/qga.sock',
      vncSocket: '/b/templates/t-fedcba9876543210.building/vnc.sock',
      consoleLog: '/b/templates/t-fedcba9876543210.building/console.log',
      runAsUser: undefined,
      sandbox: false,
    });
    expect(JSON.stringify(spec)).not.toMatch(/"\/a\/|\/dev\/shm\/a\//);
  });
});

describe('entriesToEvict', () => {
  const now = 100 * DAY;
  it('keeps the newest by use and drops the long unused', () => {
    const entries = [
      { name: 'old', usedMs: now - CACHE_MAX_AGE_MS - 1 },
      { name: 'a', usedMs: now - 1 },
      { name: 'b', usedMs: now - 3 },
      { name: 'c', usedMs: now - 2 },
    ];
    expect(entriesToEvict(entries, now, 2).sort()).toEqual(['b', 'old']);
    expect(entriesToEvict(entries, now, 10)).toEqual(['old']);
    expect(entriesToEvict([], now)).toEqual([]);
  });
});

describe('templateCacheKey', () => {
  const parts = {
    imageVersion: 'tiny-1',
    imageHash: 'abc',
    shape: { vcpus: 1, memoryMiB: 256 },
    deviceProfile: 'q35',
    accel: 'tcg' as const,
    qemuBuild: 'q10',
  };
  const image = { append: 'console=ttyS0', readyCheck: ['true'] };
  const key = templateCacheKey(parts, image);

  it('ignores the version name a data dir gave the image', () => {
    expect(templateCacheKey({ ...parts, imageVersion: 'v-1234' }, image)).toBe(key);
  });

  it('changes with the content and with what the guest booted with', () => {
    for (const other of [
      templateCacheKey({ ...parts, imageHash: 'abd' }, image),
      templateCacheKey({ ...parts, shape: { vcpus: 1, memoryMiB: 512 } }, image),
      templateCacheKey({ ...parts, qemuBuild: 'q11' }, image),
      templateCacheKey(parts, { ...image, append: 'quiet' }),
      templateCacheKey(parts, { ...image, readyCheck: undefined }),
    ])
      expect(other).not.toBe(key);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
  });
});
