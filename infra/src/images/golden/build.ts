// Builds the golden desktop image: mmdebstrap of Debian bookworm with the desktop, packed into
// a qcow2 without mounting, with a manifest, cached by the recipe's hash.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'fs';
import { join, resolve } from 'path';
import {
  abandonBuild,
  beginBuild,
  cachedImageDir,
  finishBuild,
  readCachedManifest,
} from '../cache';
import { Progress } from '../progress';
import { run } from '../../util/run';
import { diskSizeMiB, inspectQcow2, packTree, treeMiB } from './disk';
import { guestLayout, listGuestFiles } from './guest-files';
import { GoldenManifest, imageSizes, parsePackageList } from './manifest';
import { checkMirror, hostDebianMirror } from './mirror';
import { mmdebstrapArgs, runMmdebstrap } from './mmdebstrap';
import { preflight } from './preflight';
import {
  defaultRecipe,
  FORK_HOOK,
  GoldenRecipe,
  READY_CHECK,
  recipeHash,
  RESIZE_HOOK,
} from './recipe';

export const GOLDEN_NAME = 'golden';

export interface GoldenBuildOptions {
  cacheDir?: string;
  recipe?: GoldenRecipe;
  /** Free space the build needs in the cache dir (tree + raw + qcow2). */
  needMiB?: number;
}

/** Where a recipe's build lives in the cache (whether built or not). */
export function goldenImageDir(opts: GoldenBuildOptions = {}): {
  dir: string;
  hash: string;
  recipe: GoldenRecipe;
} {
  const recipe = opts.recipe ?? defaultRecipe(hostDebianMirror());
  const hash = recipeHash(recipe, listGuestFiles(guestLayout().root));
  return {
    dir: cachedImageDir(opts.cacheDir, GOLDEN_NAME, hash),
    hash,
    recipe,
  };
}

function onlyFile(dir: string, prefix: string): string {
  const found = readdirSync(dir).filter((f) => f.startsWith(prefix));
  if (found.length !== 1)
    throw new Error(`expected one ${prefix}* in ${dir}, found ${found.length}`);
  return join(dir, found[0] as string);
}

/** Mount points at or under `dir` (from /proc/self/mountinfo), deepest first. */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const found = mountinfo
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)));
  return found.sort((a, b) => b.length - a.length);
}

/**
 * Removes a failed build, but never through a mount mmdebstrap left behind (a bind-mounted
 * /dev inside the tree would otherwise be emptied on the host).
 */
function abandonSafely(tmp: string): void {
  for (const m of mountsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), tmp)) {
    run('umount', ['-l', m]);
  }
  const left = mountsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), tmp);
  if (left.length)
    throw new Error(`failed build left mounts behind, not removing ${tmp}: ${left.join(', ')}`);
  abandonBuild(tmp);
}

/** A disk-full error from any step, said plainly. */
function explain(err: unknown, dir: string): Error {
  const e = err as NodeJS.ErrnoException;
  if (
    e.code === 'ENOSPC' ||
    /No space left on device|Could not write|not enough space/i.test(e.message)
  ) {
    return new Error(`golden image build failed: the disk holding ${dir} is full (${e.message})`);
  }
  return new Error(`golden image build failed: ${e.message}`);
}

/** Builds (or finds in the cache) the golden desktop image; returns its manifest. */
export async function buildGoldenImage(opts: GoldenBuildOptions = {}): Promise<GoldenManifest> {
  const { dir, hash, recipe } = goldenImageDir(opts);
  const cached = readCachedManifest<GoldenManifest>(dir);
  const progress = Progress.forImage(GOLDEN_NAME, 6);
  if (cached) {
    progress.done('golden image already built (cache hit)', { dir, hash });
    return cached;
  }
  const t0 = Date.now();
  const cacheRoot = resolve(dir, '..');
  mkdirSync(cacheRoot, { recursive: true });

  progress.step('checking the host: root, tools, free space, Debian mirror', {
    mirror: recipe.mirror,
  });
  preflight(cacheRoot, opts.needMiB ?? 4096);
  await checkMirror(recipe.mirror, recipe.suite);

  const tmp = beginBuild(dir);
  const target = join(tmp, 'rootfs');
  let published: GoldenManifest;
  try {
    const layout = guestLayout();
    const packageList = join(tmp, 'packages.tsv');
    progress.step('installing Debian packages with mmdebstrap (about a minute and a half)', {
      packages: recipe.packages.length,
    });
    await runMmdebstrap(
      mmdebstrapArgs(recipe, {
        target,
        earlyDir: layout.earlyDir,
        rootfsDir: layout.rootfsDir,
        customizeScript: layout.customizeScript,
        packageList,
      }),
      (line) => progress.note(line),
    );

    progress.step('taking the kernel and initramfs out for direct kernel boot');
    const kernelSrc = onlyFile(join(target, 'boot'), 'vmlinuz-');
    const initrdSrc = onlyFile(join(target, 'boot'), 'initrd.img-');
    const kernelRelease = kernelSrc.replace(/^.*vmlinuz-/, '');
    copyFileSync(kernelSrc, join(tmp, 'vmlinuz'));
    copyFileSync(initrdSrc, join(tmp, 'initrd.img'));
    const packages = parsePackageList(readFileSync(packageList, 'utf8'));

    const tree = treeMiB(target);
    const sizeMiB = diskSizeMiB(tree);
    progress.step('packing the tree into ext4 (mkfs.ext4 -d) and qcow2', {
      treeMiB: tree,
      diskMiB: sizeMiB,
    });
    const raw = join(tmp, 'disk.raw');
    packTree(target, raw, join(tmp, 'disk.qcow2'), sizeMiB);
    rmSync(raw, { force: true });
    rmSync(target, { recursive: true, force: true });

    progress.step('checking the qcow2');
    const facts = inspectQcow2(join(tmp, 'disk.qcow2'));

    progress.step('writing the manifest');
    const manifest: GoldenManifest = {
      name: GOLDEN_NAME,
      hash,
      kind: 'built',
      kernel: join(dir, 'vmlinuz'),
      initrd: join(dir, 'initrd.img'),
      disk: join(dir, 'disk.qcow2'),
      append: recipe.append,
      kernelRelease,
      readyCheck: READY_CHECK,
      forkHook: FORK_HOOK,
      resizeHook: RESIZE_HOOK,
      sizes: imageSizes({
        diskBytes: facts.fileBytes,
        virtualBytes: facts.virtualBytes,
        kernelBytes: statSync(join(tmp, 'vmlinuz')).size,
        initrdBytes: statSync(join(tmp, 'initrd.img')).size,
      }),
      buildSeconds: Math.round((Date.now() - t0) / 100) / 10,
      packages,
      source: { suite: recipe.suite, variant: recipe.variant, mirror: recipe.mirror },
      createdAt: new Date().toISOString(),
    };
    published = finishBuild(tmp, dir, manifest);
  } catch (err) {
    abandonSafely(tmp);
    throw explain(err, cacheRoot);
  }
  progress.done('golden image built', {
    dir,
    buildSeconds: published.buildSeconds,
    totalMiB: published.sizes.totalMiB,
  });
  return published;
}

/** True when a finished build of this recipe is in the cache. */
export function goldenImageCached(opts: GoldenBuildOptions = {}): boolean {
  return readCachedManifest(goldenImageDir(opts).dir) !== undefined;
}
