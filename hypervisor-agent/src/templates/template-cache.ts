// The machine-wide template cache: a frozen template stored by its cache key, so every data dir
// on this machine (test suites, benches, `npm run up`) restores it instead of booting its image.
// An entry is <cacheDir>/<cacheKey>/{ram, state.bin, overlay.qcow2, template.json}, written in a
// temporary sibling and renamed into place; an entry's mtime is its last use.
import { VmShape } from '@forkdesk/agent-contract';
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'fs';
import { join } from 'path';
import { Histogram, register } from 'prom-client';
import { promisify } from 'util';
import { EngineConfig } from '../config';
import { logger } from '../logger';
import { once } from '../metrics/once';
import { VmSpec } from '../vm/args';
import { vmPaths } from '../vm/layout';
import { readJson, writeJsonAtomic } from '../vm/state-file';
import { publishTemplate, templateFiles } from './builder';
import { ImageVersion } from './images';
import {
  TemplateInvalidError,
  TemplateKeyParts,
  templateKey,
  TemplateRecord,
  validateTemplate,
} from './template';

const run = promisify(execFile);

/** Entries kept: the newest by use, and none unused for longer than MAX_AGE_MS. */
export const CACHE_MAX_ENTRIES = 8;
export const CACHE_MAX_AGE_MS = 14 * 24 * 3600_000;
/** A temporary or rejected entry older than this belongs to a crashed agent. */
const STALE_TMP_MS = 3600_000;

const restoreSeconds = once(
  register,
  'forkdesk_agent_template_restore_seconds',
  () =>
    new Histogram({
      name: 'forkdesk_agent_template_restore_seconds',
      help: 'Time to restore a template from the machine-wide template cache instead of booting it',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
);

/**
 * The cache's key: a template's key by image content rather than by the version name a data
 * dir gave the image (brokers name theirs `v-<uuid>`), plus what the frozen guest booted with.
 */
export function templateCacheKey(
  p: TemplateKeyParts,
  image: Pick<ImageVersion, 'append' | 'readyCheck'>,
): string {
  return templateKey({
    ...p,
    imageVersion: JSON.stringify([image.append, image.readyCheck ?? []]),
  });
}

export function cacheEntryFiles(cacheDir: string, key: string) {
  const dir = join(cacheDir, key);
  return {
    dir,
    ram: join(dir, 'ram'),
    state: join(dir, 'state.bin'),
    overlay: join(dir, 'overlay.qcow2'),
    record: join(dir, 'template.json'),
  };
}

export interface Relocation {
  /** The template's id in this data dir. */
  id: string;
  /** The template's files in this data dir (templateFiles of its final dir). */
  files: ReturnType<typeof templateFiles>;
  /** Dir the build would have run in: the spec's sockets and console log point there. */
  buildDir: string;
  image: Pick<ImageVersion, 'kernel' | 'initrd'>;
  runAsUser: string;
  sandbox: boolean;
}

/** The spec of a template built in another data dir, with this data dir's paths and user. */
export function relocateSpec(spec: VmSpec, to: Relocation): VmSpec {
  const p = vmPaths(to.buildDir);
  return {
    ...spec,
    id: to.id,
    ram: { ...spec.ram, path: to.files.ram },
    kernel: to.image.kernel,
    initrd: to.image.initrd,
    disk: to.files.overlay,
    qmpSocket: p.qmpSocket,
    qgaSocket: p.qgaSocket,
    vncSocket: p.vncSocket,
    consoleLog: p.consoleLog,
    runAsUser: to.runAsUser || undefined,
    sandbox: to.sandbox,
  };
}

/** Names of entries to evict: unused for maxAgeMs, then all but the keep newest by use. */
export function entriesToEvict(
  entries: { name: string; usedMs: number }[],
  nowMs: number,
  keep = CACHE_MAX_ENTRIES,
  maxAgeMs = CACHE_MAX_AGE_MS,
): string[] {
  const newest = [...entries].sort((a, b) => b.usedMs - a.usedMs);
  return newest.filter((e, i) => i >= keep || nowMs - e.usedMs > maxAgeMs).map((e) => e.name);
}

/** Copies keeping holes: a RAM file is mostly never-touched guest pages. */
async function copySparse(src: string, dst: string): Promise<void> {
  await run('cp', ['--sparse=always', '--reflink=auto', src, dst]);
}

/** Points a qcow2 at another backing file without reading either (the content is the same). */
async function rebase(qemuImg: string, path: string, backing: string): Promise<void> {
  // A failure's message names the command and carries qemu-img's stderr.
  await run(qemuImg, ['rebase', '-u', '-f', 'qcow2', '-b', backing, '-F', 'qcow2', path]);
}

const uniqueSuffix = (): string => `${process.pid}-${randomBytes(4).toString('hex')}`;

/** Removes an entry atomically (renamed aside first), so no reader sees half of it. */
function discardEntry(dir: string): void {
  const aside = `${dir}.bad-${uniqueSuffix()}`;
  try {
    renameSync(dir, aside);
  } catch {
    return;
  }
  rmSync(aside, { recursive: true, force: true });
}

/** Drops old entries and what crashed agents left behind. Never throws. */
export function pruneTemplateCache(cacheDir: string, nowMs = Date.now()): void {
  try {
    const entries: { name: string; usedMs: number }[] = [];
    for (const name of readdirSync(cacheDir)) {
      const usedMs = statSync(join(cacheDir, name)).mtimeMs;
      if (name.includes('.')) {
        if (nowMs - usedMs > STALE_TMP_MS)
          rmSync(join(cacheDir, name), { recursive: true, force: true });
      } else entries.push({ name, usedMs });
    }
    for (const name of entriesToEvict(entries, nowMs)) {
      discardEntry(join(cacheDir, name));
      logger.info({ key: name }, 'template cache entry evicted');
    }
  } catch (err) {
    logger.warn({ cacheDir, err: (err as Error).message }, 'template cache prune failed');
  }
}

/** Stores a freshly built template under its cache key. Never throws: the cache only saves time. */
export async function storeInCache(
  cfg: EngineConfig,
  cacheKey: string,
  t: TemplateRecord,
): Promise<void> {
  if (!cfg.templateCacheDir) return;
  const entry = cacheEntryFiles(cfg.templateCacheDir, cacheKey);
  if (existsSync(entry.record)) return;
  const t0 = Date.now();
  const tmp = cacheEntryFiles(cfg.templateCacheDir, `${cacheKey}.tmp-${uniqueSuffix()}`);
  try {
    // 0700 down from the cache dir: copies are for the agent, not for the QEMU user.
    mkdirSync(tmp.dir, { recursive: true, mode: 0o700 });
    await copySparse(t.ramFile, tmp.ram);
    await copySparse(t.overlay, tmp.overlay);
    copyFileSync(t.stateFile, tmp.state);
    // The record last: an entry without one is incomplete.
    writeJsonAtomic(tmp.record, t);
    try {
      renameSync(tmp.dir, entry.dir);
    } catch (err) {
      // Another agent stored the same key first: theirs is as good as ours.
      if (!existsSync(entry.record)) throw err;
      rmSync(tmp.dir, { recursive: true, force: true });
      return;
    }
    logger.info({ template: t.id, cacheKey, ms: Date.now() - t0 }, 'template stored in cache');
  } catch (err) {
    rmSync(tmp.dir, { recursive: true, force: true });
    logger.warn({ template: t.id, err: (err as Error).message }, 'template not stored in cache');
  }
  pruneTemplateCache(cfg.templateCacheDir);
}

export interface RestoreRequest {
  /** The template's id and key in this data dir. */
  id: string;
  key: string;
  cacheKey: string;
  image: ImageVersion;
  shape: VmShape;
}

/**
 * Restores the cached template of `req.cacheKey` into `templatesDir` (files copied, paths rewritten,
 * qcow2 backing files re-pointed, sealed and validated like a build). Undefined when there is
 * no usable entry; a corrupt one is discarded so the rebuilt template replaces it.
 */
export async function restoreFromCache(
  cfg: EngineConfig,
  templatesDir: string,
  req: RestoreRequest,
): Promise<TemplateRecord | undefined> {
  if (!cfg.templateCacheDir) return undefined;
  const entry = cacheEntryFiles(cfg.templateCacheDir, req.cacheKey);
  const cached = readJson<TemplateRecord>(entry.record);
  if (!cached) return undefined;
  const t0 = Date.now();
  const finalDir = join(templatesDir, req.id);
  // Named like a build, so an agent that dies mid-restore cleans it up the same way.
  const buildDir = `${finalDir}.building`;
  const files = templateFiles(finalDir, cfg.shmDir, req.id);
  const building = templateFiles(buildDir, cfg.shmDir, req.id);
  try {
    if (cached.shape?.vcpus !== req.shape.vcpus || cached.shape.memoryMiB !== req.shape.memoryMiB)
      throw new TemplateInvalidError(`entry holds another shape (${JSON.stringify(cached.shape)})`);
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(files.ram, { force: true });
    mkdirSync(buildDir, { recursive: true, mode: 0o755 });
    await copySparse(entry.ram, files.ram);
    await copySparse(entry.overlay, building.overlay);
    copyFileSync(entry.state, building.state);
    await rebase(cfg.qemuImgBinary, building.overlay, req.image.disk);
    const spec = relocateSpec(cached.spec, {
      id: req.id,
      files,
      buildDir,
      image: req.image,
      runAsUser: cfg.runAsUser,
      sandbox: cfg.sandbox,
    });
    const ms = () => Date.now() - t0;
    const t = await publishTemplate(cfg, buildDir, finalDir, {
      id: req.id,
      key: req.key,
      imageVersion: req.image.version,
      shape: req.shape,
      accel: cached.accel,
      deviceProfile: cached.deviceProfile,
      qemuBuild: cached.qemuBuild,
      spec,
      // What this agent spent on it; nothing was frozen here.
      buildMs: ms(),
      freezeMs: 0,
      createdAt: new Date().toISOString(),
      restoredFromCache: true,
    });
    if (t.stateBytes !== cached.stateBytes || t.stateSha256 !== cached.stateSha256)
      throw new TemplateInvalidError('device state differs from the one recorded');
    await validateTemplate(t);
    const now = new Date();
    utimesSync(entry.dir, now, now);
    restoreSeconds.observe(ms() / 1000);
    logger.info(
      { template: t.id, cacheKey: req.cacheKey, ms: ms() },
      'template restored from cache',
    );
    return t;
  } catch (err) {
    for (const d of [buildDir, finalDir]) rmSync(d, { recursive: true, force: true });
    rmSync(files.ram, { force: true });
    logger.warn(
      { template: req.id, cacheKey: req.cacheKey, err: (err as Error).message },
      'template cache entry rejected: building instead',
    );
    discardEntry(entry.dir);
    return undefined;
  }
}
