import { execFileSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { encodeCpio } from '../cpio';
import { importImage, initrdFormat, isBzImage } from './import';
import { validateManifest } from './manifest';

const hostKernel = (): string => {
  const k = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .sort()
    .pop();
  if (!k) throw new Error('no /boot/vmlinuz-* on this host (linux-image-amd64)');
  return join('/boot', k);
};

describe('importing an admin-supplied image (real qemu-img)', () => {
  let dir: string;
  let cache: string;
  let kernel: string;
  let initrd: string;
  let disk: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fd-import-'));
    cache = join(dir, 'cache');
    kernel = hostKernel();
    initrd = join(dir, 'initrd.img');
    writeFileSync(
      initrd,
      encodeCpio([{ kind: 'file', path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 }]),
    );
    disk = join(dir, 'disk.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '128M']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('recognises kernels and initramfs formats by their first bytes', () => {
    expect(isBzImage(readFileSync(kernel).subarray(0, 0x206))).toBe(true);
    expect(isBzImage(Buffer.alloc(0x206))).toBe(false);
    expect(initrdFormat(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(initrdFormat(Buffer.from('070701'))).toBe('cpio');
    expect(initrdFormat(Buffer.from('hello'))).toBeUndefined();
  });

  it('imports a good image with the same manifest as a build, once', () => {
    const m = importImage({ disk, kernel, initrd, name: 'admin', cacheDir: cache });
    expect(validateManifest(m)).toMatchObject({ name: 'admin', kind: 'imported', packages: [] });
    expect(m.sizes.virtualBytes).toBe(128 * 1024 * 1024);
    expect(m.kernelRelease).toMatch(/^\d+\.\d+/);
    expect(readdirSync(cache)).toEqual([`admin-${m.hash}`]);
    expect(importImage({ disk, kernel, initrd, name: 'admin', cacheDir: cache }).createdAt).toBe(
      m.createdAt,
    );
  });

  it('rejects a corrupt qcow2, a raw disk and a non-kernel clearly, registering nothing', () => {
    const bad = join(dir, 'bad-cache');
    const corrupt = join(dir, 'corrupt.qcow2');
    const good = readFileSync(disk);
    const broken = Buffer.from(good);
    broken.fill(0xff, 8, 72); // version, backing file offset, cluster bits, size, L1 table
    writeFileSync(corrupt, broken);
    expect(() => importImage({ disk: corrupt, kernel, initrd, cacheDir: bad })).toThrow(
      /cannot import image: disk .*corrupt\.qcow2 failed qemu-img checks \(corrupt\?\)/,
    );
    const raw = join(dir, 'disk.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', raw, '128M']);
    expect(() => importImage({ disk: raw, kernel, initrd, cacheDir: bad })).toThrow(
      /disk format is raw, expected qcow2/,
    );
    expect(() => importImage({ disk, kernel: initrd, initrd, cacheDir: bad })).toThrow(
      /is not an x86 Linux kernel image/,
    );
    expect(() =>
      importImage({ disk: join(dir, 'nope.qcow2'), kernel, initrd, cacheDir: bad }),
    ).toThrow(/does not exist/);
    expect(() => readdirSync(bad)).toThrow(/ENOENT/);
  });
});
