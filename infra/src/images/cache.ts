// The image cache shared by every image builder: one directory per build,
// `<cacheDir>/<name>-<hash>/` with a manifest.json, built in a temporary sibling and renamed
// into place, so a crash or a failed build never leaves a half-made image behind.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { homedir } from 'os';
import { join, resolve } from 'path';

export const MANIFEST_FILE = 'manifest.json';

export function defaultImageCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'forkdesk', 'images');
}

/** A build's directory in `cacheDir` (by default defaultImageCacheDir()). */
export function cachedImageDir(cacheDir: string | undefined, name: string, hash: string): string {
  return join(resolve(cacheDir ?? defaultImageCacheDir()), `${name}-${hash}`);
}

/** The manifest of a finished build in `dir`, or undefined when there is none. */
export function readCachedManifest<T>(dir: string): T | undefined {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** A fresh temporary directory beside `dir` to build into. */
export function beginBuild(dir: string): string {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  return tmp;
}

/** Moves a finished build (with its manifest) into place; a concurrent identical build wins. */
export function publishBuild<T>(tmp: string, dir: string): T {
  if (!existsSync(join(tmp, MANIFEST_FILE))) throw new Error(`${tmp} has no ${MANIFEST_FILE}`);
  try {
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, MANIFEST_FILE))) throw err;
  }
  return readCachedManifest<T>(dir) as T;
}

/** Writes a finished build's manifest and moves the build into place (see publishBuild). */
export function finishBuild<T>(tmp: string, dir: string, manifest: T): T {
  writeFileSync(join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return publishBuild<T>(tmp, dir);
}

/** Removes a failed build's temporary directory. */
export function abandonBuild(tmp: string): void {
  rmSync(tmp, { recursive: true, force: true });
}
