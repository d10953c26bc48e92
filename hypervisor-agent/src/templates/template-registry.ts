// The agent's templates: the ones on disk at start, builds (or cache restores) under way,
// failures, and templates made from running VMs. Building is the builder's; keeping track is this.
import type { Accelerator, TemplateInfo, VmShape } from '@forkdesk/agent-contract';
import { readdirSync, rmSync } from 'fs';
import { join } from 'path';
import type { EngineConfig } from '../config';
import { ConflictError, NotFoundError } from '../engine/errors';
import { logger } from '../logger';
import type { UserIds } from '../vm/layout';
import { killVm } from '../vm/process';
import { readJson } from '../vm/state-file';
import type { VmRecord } from '../fork/child';
import { buildTemplate } from './builder';
import type { ImageVersion } from './images';
import { TemplateRecord, templateKey } from './template';
import { restoreFromCache, storeInCache, templateCacheKey } from './template-cache';
import { missingTemplateFiles } from './template-files';

interface TemplateEntry {
  id: string;
  record?: TemplateRecord;
  imageVersion: string;
  shape: VmShape;
  accel: Accelerator;
  building?: Promise<TemplateRecord>;
  error?: string;
  startedAt: string;
}

export interface TemplateRegistryDeps {
  cfg: EngineConfig;
  user: UserIds | undefined;
  qemuBuild: string;
  /** How many VMs run forked from the template (they keep it from being deleted). */
  children(templateId: string): number;
  /** A template became ready (its warm pool may start). */
  onReady(t: TemplateRecord): void;
  /** A template is being removed (its warm pool must stop). */
  onRemove(templateId: string): Promise<void>;
}

export class TemplateRegistry {
  private readonly templates = new Map<string, TemplateEntry>();

  constructor(private readonly deps: TemplateRegistryDeps) {}

  get dir(): string {
    return join(this.deps.cfg.dataDir, 'templates');
  }

  /** Everything the device state of a frozen VM depends on, besides image, shape and QEMU. */
  deviceProfile(): string {
    const c = this.deps.cfg;
    return `q35-10.0-nohpet/${c.cpuModel}/hp${c.hotplugPorts}/vga-std/virtio-norom/tb${c.tcgTbSizeMiB}`;
  }

  /** Loads the templates on disk; builds a previous agent never finished are removed. */
  load(): void {
    for (const name of readdirSync(this.dir)) {
      const dir = join(this.dir, name);
      if (name.endsWith('.building')) {
        // A build the previous agent never finished: its QEMU, if any, is named after the id.
        const id = name.replace(/\.building$/, '');
        const rec = readJson<VmRecord>(join(dir, 'vm.json'));
        if (rec) void killVm(rec.pid, id);
        rmSync(dir, { recursive: true, force: true });
        rmSync(join(this.deps.cfg.shmDir, `${id}.ram`), { force: true });
        continue;
      }
      const rec = readJson<TemplateRecord>(join(dir, 'template.json'));
      if (!rec) {
        logger.warn({ dir }, 'template dir without a record: removed');
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      this.add(rec);
    }
  }

  /** Tracks a ready template (loaded, or just published from a running VM). */
  add(rec: TemplateRecord): void {
    this.templates.set(rec.id, {
      id: rec.id,
      record: rec,
      imageVersion: rec.imageVersion,
      shape: rec.shape,
      accel: rec.accel,
      startedAt: rec.createdAt,
    });
  }

  /** The ready ones. */
  records(): TemplateRecord[] {
    return [...this.templates.values()].flatMap((t) => (t.record ? [t.record] : []));
  }

  list(): TemplateInfo[] {
    this.dropWithoutFiles();
    return [...this.templates.values()].map((t) => this.info(t));
  }

  get(id: string): TemplateInfo | undefined {
    const t = this.templates.get(id);
    return t && this.info(t);
  }

  record(id: string): TemplateRecord | undefined {
    return this.templates.get(id)?.record;
  }

  /** A ready template to fork, or the 404/409 why not. */
  ready(id: string): TemplateRecord {
    const t = this.templates.get(id);
    if (!t) throw new NotFoundError(`no template ${id}`);
    if (!t.record)
      throw new ConflictError(`template ${id} is ${t.building ? 'still building' : 'failed'}`);
    return t.record;
  }

  /** The template of this image and shape: ready, restored from the cache, or built now. */
  async ensure(image: ImageVersion, shape: VmShape, accel: Accelerator): Promise<TemplateInfo> {
    const { cfg, user, qemuBuild } = this.deps;
    const keyParts = {
      imageVersion: image.version,
      imageHash: image.hash,
      shape,
      deviceProfile: this.deviceProfile(),
      accel,
      qemuBuild,
    };
    const key = templateKey(keyParts);
    const id = `t-${key}`;
    const existing = this.templates.get(id);
    if (existing?.record) return this.info(existing);
    if (existing?.building) {
      await existing.building;
      return this.info(existing);
    }
    const entry: TemplateEntry = {
      id,
      imageVersion: image.version,
      shape,
      accel,
      startedAt: new Date().toISOString(),
    };
    this.templates.set(id, entry);
    const cacheKey = templateCacheKey(keyParts, image);
    const build = async (): Promise<TemplateRecord> => {
      const restored = await restoreFromCache(cfg, this.dir, { id, key, cacheKey, image, shape });
      if (restored) return restored;
      const built = await buildTemplate(cfg, this.dir, user, {
        id,
        key,
        image,
        shape,
        accel,
        deviceProfile: this.deviceProfile(),
        qemuBuild,
      });
      await storeInCache(cfg, cacheKey, built);
      return built;
    };
    entry.building = build();
    try {
      entry.record = await entry.building;
      this.deps.onReady(entry.record);
    } catch (err) {
      entry.error = (err as Error).message;
      throw err;
    } finally {
      entry.building = undefined;
    }
    return this.info(entry);
  }

  async delete(id: string): Promise<void> {
    const t = this.templates.get(id);
    if (!t) throw new NotFoundError(`no template ${id}`);
    if (t.building) throw new ConflictError(`template ${id} is still building`);
    const n = this.dependents(id);
    if (n > 0)
      throw new ConflictError(`template ${id} still has ${n} child(ren) or dependent template(s)`);
    await this.deps.onRemove(id); // its warm children use the files
    this.removeFiles(t);
  }

  /** Deletes every template, dependents first (tests, uninstall). */
  async deleteAll(): Promise<void> {
    for (const id of [...this.templates.keys()].reverse())
      await this.delete(id).catch(() => undefined);
  }

  private dependents(templateId: string): number {
    let n = this.deps.children(templateId);
    for (const t of this.templates.values()) if (t.record?.parentTemplateId === templateId) n++;
    return n;
  }

  private removeFiles(t: TemplateEntry): void {
    if (t.record) rmSync(t.record.ramFile, { force: true });
    rmSync(join(this.dir, t.id), { recursive: true, force: true });
    this.templates.delete(t.id);
  }

  /** Forgets ready templates whose frozen files are gone; their next ensure rebuilds. */
  private dropWithoutFiles(): void {
    for (const t of [...this.templates.values()]) {
      const missing = t.record ? missingTemplateFiles(t.record) : [];
      if (missing.length === 0) continue;
      logger.error(
        { template: t.id, missing },
        'template files are gone: the template is dropped and is rebuilt when asked for again',
      );
      void this.deps.onRemove(t.id);
      this.removeFiles(t);
    }
  }

  private info(t: TemplateEntry): TemplateInfo {
    const r = t.record;
    return {
      id: t.id,
      imageVersion: t.imageVersion,
      shape: t.shape,
      accel: t.accel,
      state: r ? 'ready' : t.building ? 'building' : 'failed',
      deviceStateBytes: r?.stateBytes ?? 0,
      buildMs: r?.buildMs ?? 0,
      createdAt: r?.createdAt ?? t.startedAt,
      children: this.dependents(t.id),
      ...(t.error ? { error: t.error } : {}),
      ...(r?.fullCopy ? { fullCopy: true } : {}),
    };
  }
}
