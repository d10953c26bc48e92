// Admin-supplied images: an existing qcow2 + kernel + initramfs become an image version with
// the same manifest as a built one. Everything is checked before anything is written, and the
// copy is published by one rename, so a bad input never leaves a half-registered version.
import { createHash } from 'crypto';
import { closeSync, copyFileSync, openSync, readSync, statSync } from 'fs';
import { join } from 'path';
import {
  abandonBuild,
  beginBuild,
  cachedImageDir,
  finishBuild,
  readCachedManifest,
} from '../cache';
import { Progress } from '../progress';
import { inspectQcow2, QcowFacts } from './disk';
import { GoldenManifest, imageSizes } from './manifest';
import { GOLDEN_APPEND } from './recipe';

export interface ImportRequest {
  disk: string;
  kernel: string;
  initrd: string;
  /** Kernel command line; defaults to the golden image's (root on the whole virtio disk). */
  append?: string;
  name?: string;
  readyCheck?: string[];
  forkHook?: string;
  resizeHook?: string;
  cacheDir?: string;
}

export class ImportError extends Error {
  override name = 'ImportError';
}

const MiB = 1024 * 1024;
export const LIMITS = {
  minDiskBytes: 64 * MiB,
  maxDiskBytes: 1024 * 1024 * MiB,
  maxKernelBytes: 128 * MiB,
  maxInitrdBytes: 1024 * MiB,
};

function head(path: string, n: number, offset = 0): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, offset);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** An x86 Linux kernel image carries "HdrS" at 0x202 (the boot protocol header). */
export function isBzImage(bytes: Buffer): boolean {
  return bytes.length >= 0x206 && bytes.toString('latin1', 0x202, 0x206) === 'HdrS';
}

const INITRD_MAGICS: Array<[string, Buffer]> = [
  ['cpio', Buffer.from('0707', 'latin1')],
  ['gzip', Buffer.from([0x1f, 0x8b])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a])],
  ['lz4', Buffer.from([0x02, 0x21, 0x4c, 0x18])],
  ['bzip2', Buffer.from('BZh', 'latin1')],
  ['lzma', Buffer.from([0x5d, 0x00, 0x00])],
];

/** The initramfs container format from its first bytes, or undefined. */
export function initrdFormat(bytes: Buffer): string | undefined {
  return INITRD_MAGICS.find(([, m]) => bytes.subarray(0, m.length).equals(m))?.[0];
}

/** Problems with a disk's qemu-img facts (empty: acceptable). */
export function diskProblems(f: QcowFacts): string[] {
  const p: string[] = [];
  if (f.format !== 'qcow2')
    p.push(
      `disk format is ${f.format}, expected qcow2 (convert: qemu-img convert -O qcow2 in out)`,
    );
  if (f.backing)
    p.push(`disk has a backing file (${f.backing}); import a standalone qcow2 (qemu-img convert)`);
  if (f.virtualBytes < LIMITS.minDiskBytes) p.push(`disk is only ${f.virtualBytes} bytes`);
  if (f.virtualBytes > LIMITS.maxDiskBytes)
    p.push(`disk is larger than ${LIMITS.maxDiskBytes / MiB / 1024} GiB`);
  return p;
}

function sha256Files(paths: string[]): string {
  const h = createHash('sha256');
  const buf = Buffer.alloc(4 * MiB);
  for (const p of paths) {
    const fd = openSync(p, 'r');
    try {
      let n: number;
      while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
  return h.digest('hex').slice(0, 16);
}

function regularFile(path: string, what: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new ImportError(`${what} ${path} does not exist`);
  }
  if (!st.isFile()) throw new ImportError(`${what} ${path} is not a regular file`);
  return st.size;
}

/** Checks the three files; returns the disk's facts. Throws an ImportError listing every problem. */
export function checkImport(req: ImportRequest): QcowFacts {
  const kernelBytes = regularFile(req.kernel, 'kernel');
  const initrdBytes = regularFile(req.initrd, 'initramfs');
  regularFile(req.disk, 'disk');
  const problems: string[] = [];
  if (!isBzImage(head(req.kernel, 0x206)) || kernelBytes > LIMITS.maxKernelBytes)
    problems.push(`kernel ${req.kernel} is not an x86 Linux kernel image (bzImage)`);
  if (!initrdFormat(head(req.initrd, 8)) || initrdBytes > LIMITS.maxInitrdBytes)
    problems.push(`initramfs ${req.initrd} is not a cpio archive (plain or compressed)`);
  let facts: QcowFacts | undefined;
  try {
    facts = inspectQcow2(req.disk);
    problems.push(...diskProblems(facts));
  } catch (err) {
    problems.push(`disk ${req.disk} failed qemu-img checks (corrupt?): ${(err as Error).message}`);
  }
  if (req.append !== undefined && /[\0\n]/.test(req.append))
    problems.push('append has a forbidden character');
  if (problems.length || !facts)
    throw new ImportError(`cannot import image: ${problems.join('; ')}`);
  return facts;
}

/** Imports an admin-supplied image into the image cache; returns its manifest. */
export function importImage(req: ImportRequest): GoldenManifest {
  const name = req.name ?? 'imported';
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(name)) throw new ImportError(`bad image name "${name}"`);
  const progress = Progress.forImage(name, 3);
  const t0 = Date.now();
  progress.step('checking the qcow2, kernel and initramfs');
  const facts = checkImport(req);
  const hash = sha256Files([req.disk, req.kernel, req.initrd]);
  const dir = cachedImageDir(req.cacheDir, name, hash);
  const cached = readCachedManifest<GoldenManifest>(dir);
  if (cached) {
    progress.done('image already imported', { dir });
    return cached;
  }
  const tmp = beginBuild(dir);
  try {
    progress.step('copying the files');
    copyFileSync(req.disk, join(tmp, 'disk.qcow2'));
    copyFileSync(req.kernel, join(tmp, 'vmlinuz'));
    copyFileSync(req.initrd, join(tmp, 'initrd.img'));
    progress.step('writing the manifest');
    const manifest: GoldenManifest = {
      name,
      hash,
      kind: 'imported',
      kernel: join(dir, 'vmlinuz'),
      initrd: join(dir, 'initrd.img'),
      disk: join(dir, 'disk.qcow2'),
      append: req.append ?? GOLDEN_APPEND,
      kernelRelease: kernelRelease(req.kernel),
      readyCheck: req.readyCheck ?? [],
      ...(req.forkHook ? { forkHook: req.forkHook } : {}),
      ...(req.resizeHook ? { resizeHook: req.resizeHook } : {}),
      sizes: imageSizes({
        diskBytes: facts.fileBytes,
        virtualBytes: facts.virtualBytes,
        kernelBytes: statSync(req.kernel).size,
        initrdBytes: statSync(req.initrd).size,
      }),
      buildSeconds: Math.round((Date.now() - t0) / 100) / 10,
      packages: [],
      createdAt: new Date().toISOString(),
    };
    const m = finishBuild(tmp, dir, manifest);
    progress.done('image imported', { dir });
    return m;
  } catch (err) {
    abandonBuild(tmp);
    const e = err as NodeJS.ErrnoException;
    throw new ImportError(
      e.code === 'ENOSPC'
        ? `the disk holding ${dir} is full: ${e.message}`
        : `import failed: ${e.message}`,
    );
  }
}

/** The kernel's version string from its boot header (offset 0x20E points at it). */
export function kernelRelease(path: string): string {
  const hdr = head(path, 0x210);
  const ptr = hdr.length >= 0x210 ? hdr.readUInt16LE(0x20e) : 0;
  if (!ptr) return 'unknown';
  const text = head(path, 256, ptr + 0x200).toString('latin1');
  return text.split(/[\s\0]/)[0] || 'unknown';
}
