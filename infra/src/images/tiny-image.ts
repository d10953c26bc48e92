// Builds the tiny test image: a Debian kernel plus a busybox initramfs that runs the real
// qemu-guest-agent. Cached by a hash of everything that goes in, so a rebuild is free.
import { createHash } from 'crypto';
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { basename, dirname, join } from 'path';
import type { ImageManifest } from '@forkdesk/broker-contract';
import pino from 'pino';
import { abandonBuild, beginBuild, cachedImageDir, finishBuild, readCachedManifest } from './cache';
import { CpioEntry, encodeCpio } from './cpio';

export type { ImageManifest };

export interface TinyImageOptions {
  /** Defaults to `${XDG_CACHE_HOME:-~/.cache}/forkdesk/images`. */
  cacheDir?: string;
  /** Defaults to the newest /boot/vmlinuz-*. */
  kernel?: string;
  diskMiB?: number;
}

const log = pino(
  { name: 'tiny-image', level: process.env.FORKDESK_LOG_LEVEL || 'info' },
  pino.destination(2),
);

/** Modules the init loads, dependencies resolved from modules.dep. */
const WANTED_MODULES = ['virtio_pci', 'virtio_console', 'virtio_blk', 'crc32c_generic', 'ext4'];
// tsc=reliable and the watchdogs off: fewer timer wakeups, which each cost host CPU under TCG.
const APPEND =
  'console=ttyS0 quiet panic=-1 rdinit=/init mitigations=off random.trust_cpu=on tsc=reliable nowatchdog nmi_watchdog=0';
const RECIPE_VERSION = 1;

function newestKernel(): string {
  const kernels = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .sort();
  const last = kernels[kernels.length - 1];
  if (!last) throw new Error('no /boot/vmlinuz-* found: install the linux-image-amd64 package');
  return join('/boot', last);
}

function requireFile(path: string, pkg: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: install the ${pkg} package`);
  return path;
}

/** Module files (relative to /lib/modules/<release>) in load order, dependencies first. */
export function resolveModules(modulesDep: string, wanted: string[]): string[] {
  const deps = new Map<string, string[]>();
  for (const line of modulesDep.split('\n')) {
    const [mod, rest] = line.split(':');
    if (!mod || rest === undefined) continue;
    deps.set(mod.trim(), rest.trim() ? rest.trim().split(/\s+/) : []);
  }
  const byName = new Map<string, string>();
  for (const mod of deps.keys()) byName.set(basename(mod).replace(/\.ko(\.\w+)?$/, ''), mod);
  const order: string[] = [];
  const visit = (mod: string): void => {
    if (order.includes(mod)) return;
    // modules.dep lists the full transitive closure, deepest last.
    for (const d of [...(deps.get(mod) ?? [])].reverse()) visit(d);
    order.push(mod);
  };
  for (const name of wanted) {
    const mod = byName.get(name);
    if (!mod) throw new Error(`kernel module ${name} not found in modules.dep`);
    visit(mod);
  }
  return order;
}

/** Shared libraries a dynamic binary needs, from ldd. */
function sharedLibs(binary: string): string[] {
  const out = execFileSync('ldd', [binary]).toString();
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

function collectEntries(kernelRelease: string, initScript: Buffer): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const mkdirs = (path: string): void => {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ kind: 'dir', path: d });
      }
    }
  };
  const addFile = (path: string, data: Buffer, mode: number): void => {
    mkdirs(dirname(path));
    entries.push({ kind: 'file', path, data, mode });
  };
  for (const d of ['dev', 'proc', 'sys', 'run', 'tmp', 'mnt', 'var', 'etc', 'root']) mkdirs(d);
  entries.push({ kind: 'chardev', path: 'dev/console', major: 5, minor: 1 });
  addFile('init', initScript, 0o755);

  const busybox = requireFile('/usr/bin/busybox', 'busybox-static');
  addFile('bin/busybox', readFileSync(busybox), 0o755);
  for (const applet of execFileSync(busybox, ['--list-full']).toString().split('\n')) {
    if (!applet || applet === 'bin/busybox') continue;
    mkdirs(dirname(applet));
    entries.push({ kind: 'symlink', path: applet, target: '/bin/busybox' });
  }

  const qga = requireFile('/usr/sbin/qemu-ga', 'qemu-guest-agent');
  addFile('usr/bin/qemu-ga', readFileSync(qga), 0o755);
  for (const lib of sharedLibs(qga)) addFile(lib.replace(/^\//, ''), readFileSync(lib), 0o755);

  const modRoot = `/lib/modules/${kernelRelease}`;
  const mods = resolveModules(readFileSync(join(modRoot, 'modules.dep'), 'utf8'), WANTED_MODULES);
  for (const m of mods) addFile(`lib/modules/${m}`, readFileSync(join(modRoot, m)), 0o644);
  addFile('etc/modules.order', Buffer.from(mods.join('\n') + '\n'), 0o644);
  addFile('etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/sh\n'), 0o644);
  addFile('etc/group', Buffer.from('root:x:0:\n'), 0o644);
  return entries;
}

function makeDisk(dir: string, diskMiB: number): string {
  const content = join(dir, 'disk-content');
  mkdirSync(content);
  writeFileSync(join(content, 'README'), 'Forkdesk tiny image disk\n');
  const raw = join(dir, 'disk.raw');
  execFileSync('truncate', ['-s', `${diskMiB}M`, raw]);
  requireFile('/usr/sbin/mkfs.ext4', 'e2fsprogs');
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'forkdesk', '-d', content, raw]);
  const qcow = join(dir, 'disk.qcow2');
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, qcow]);
  rmSync(raw);
  rmSync(content, { recursive: true });
  return qcow;
}

/** Builds (or finds in the cache) the tiny image; returns its manifest. */
export function buildTinyImage(opts: TinyImageOptions = {}): ImageManifest {
  const kernel = opts.kernel ?? newestKernel();
  const kernelRelease = basename(kernel).replace(/^vmlinuz-/, '');
  const diskMiB = opts.diskMiB ?? 64;
  const initScript = readFileSync(join(__dirname, '../../images/tiny/init.sh'));

  log.info({ kernel }, 'collecting initramfs contents');
  const initramfs = encodeCpio(collectEntries(kernelRelease, initScript));
  const kernelData = readFileSync(kernel);
  const hash = createHash('sha256')
    .update(JSON.stringify({ RECIPE_VERSION, APPEND, diskMiB, kernelRelease }))
    .update(kernelData)
    .update(initramfs)
    .digest('hex')
    .slice(0, 16);
  const name = 'tiny';
  const outDir = cachedImageDir(opts.cacheDir, name, hash);
  const cached = readCachedManifest<ImageManifest>(outDir);
  if (cached) {
    log.info({ outDir }, 'tiny image already built (cache hit)');
    return cached;
  }

  const tmp = beginBuild(outDir);
  try {
    log.info({ bytes: initramfs.length }, 'writing kernel and initramfs');
    writeFileSync(join(tmp, 'vmlinuz'), kernelData);
    writeFileSync(join(tmp, 'initrd.img'), initramfs);
    log.info({ diskMiB }, 'making the ext4 disk (qcow2)');
    makeDisk(tmp, diskMiB);
    const manifest: ImageManifest = {
      name,
      hash,
      kernel: join(outDir, 'vmlinuz'),
      initrd: join(outDir, 'initrd.img'),
      disk: join(outDir, 'disk.qcow2'),
      append: APPEND,
      kernelRelease,
      createdAt: new Date().toISOString(),
    };
    const published = finishBuild(tmp, outDir, manifest);
    log.info({ outDir }, 'tiny image built');
    return published;
  } catch (err) {
    abandonBuild(tmp);
    throw err;
  }
}
