// The fork engine: templates, children, warm pools, personalization and accounting, behind
// the EnginePort the HTTP API and the gateway use. VMs outlive this object; a new engine on the
// same data dir re-adopts them.
import {
  ChildInfo,
  CreateTemplateRequest,
  ExecRequest,
  ExecResult,
  HostCapacity,
  NetworkMode,
  Personalization,
  TemplateInfo,
  VmShape,
} from '@forkdesk/agent-contract';
import { ForkHookResult, runForkHook } from '../guest/fork-hook';
import { execFile } from 'child_process';
import { createHash, randomUUID } from 'crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'fs';
import { hostname } from 'os';
import { dirname, join } from 'path';
import { promisify } from 'util';
import { AccelVerdict, resolveAccel } from '../accel/probe';
import { EngineConfig } from '../config';
import { EnginePort } from '../engine/engine.port';
import { GuestAgent } from '../guest/client';
import { mountDisk, setHostname, setUser } from '../guest/personalize';
import { logger } from '../logger';
import { Cgroups, detectCgroups, setOomScoreAdj } from '../memory/cgroup';
import { checkReserve, readHostMemory, readProcessMemory } from '../memory/proc';
import { becomeChildSubreaper } from '../native/native';
import { connectQmp, JsonChannel } from '../qmp/client';
import {
  buildTemplate,
  publishTemplate,
  templateFiles,
  waitReadyCheck,
} from '../templates/builder';
import { freezeToFile, waitMigration } from '../templates/freeze';
import { ImageSource, ImageStore, ImageVersion } from '../templates/images';
import { TemplateRecord, templateKey, validateTemplate } from '../templates/template';
import { missingTemplateFiles } from '../templates/template-files';
import { NatNetworks } from '../network/nat-network';
import { SystemNetCommands } from '../network/commands';
import { restoreFromCache, storeInCache, templateCacheKey } from '../templates/template-cache';
import { VmSpec } from '../vm/args';
import { startVm, waitGuestReady } from '../vm/boot';
import { hotplugClipboard, hotplugDisk, PluggedDisk } from '../vm/hotplug';
import { lookupUser, makeVmDir, UserIds, vmChannels, vmPaths } from '../vm/layout';
import { isVmProcess, killVm, qemuStderr, waitExit } from '../vm/process';
import { qemuBuildId } from '../vm/qemu-build';
import { createOverlay } from '../vm/qemu-img';
import { readJson } from '../vm/state-file';
import {
  ChildEnv,
  completeChild,
  ForkedChild,
  destroyVmFiles,
  ForkError,
  newVmId,
  PreparedChild,
  prepareChild,
  saveRecord,
  VmRecord,
} from './child';
import { WarmPool } from './warm-pool';

const run = promisify(execFile);

export const DEFAULT_SHAPE: VmShape = { vcpus: 1, memoryMiB: 1024 };
export const MAX_FORK_COUNT = 64;
/** The golden image's hook starts the user's session; on a busy TCG host that takes seconds. */
const FORK_HOOK_TIMEOUT_MS = 60_000;

interface TemplateEntry {
  id: string;
  record?: TemplateRecord;
  imageVersion: string;
  shape: VmShape;
  building?: Promise<TemplateRecord>;
  error?: string;
  startedAt: string;
}

/** VM records plus what only lives in memory. */
interface VmEntry extends VmRecord {
  disks?: PluggedDisk[];
  /** The clipboard channel was plugged in (see hotplugClipboard). */
  clipboard?: boolean;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export class ConflictError extends Error {
  override name = 'ConflictError';
}

export class ForkEngine implements EnginePort {
  private readonly templates = new Map<string, TemplateEntry>();
  private readonly vms = new Map<string, VmEntry>();
  private readonly pools = new Map<string, WarmPool>();
  /** Guest agent connections, held open for the VM's life (see GuestAgent.open). */
  private readonly agents = new Map<string, GuestAgent>();
  /** Connects under way, shared by concurrent callers of `guest()`. */
  private readonly agentConnects = new Map<string, Promise<GuestAgent>>();
  private readonly images: ImageStore;
  private accel: AccelVerdict | undefined;
  private readonly childEnv: ChildEnv;
  private readonly nat: NatNetworks;

  private constructor(
    readonly cfg: EngineConfig,
    private readonly user: UserIds | undefined,
    private readonly cgroups: Cgroups,
    readonly qemuBuild: string,
    dataDirTag: string,
  ) {
    this.images = new ImageStore(join(cfg.dataDir, 'images'));
    this.nat = new NatNetworks(
      {
        transitSubnet: cfg.natSubnet,
        dns: cfg.natDns,
        tapUser: cfg.runAsUser || undefined,
        tag: dataDirTag,
      },
      new SystemNetCommands(),
    );
    this.childEnv = {
      qemuBinary: cfg.qemuBinary,
      vmsDir: this.vmsDir,
      user,
      cgroups,
      cgroupOverheadMiB: cfg.cgroupOverheadMiB,
      oomScoreAdj: 500,
      nat: this.nat,
    };
  }

  private get vmsDir(): string {
    return join(this.cfg.dataDir, 'vms');
  }

  private get templatesDir(): string {
    return join(this.cfg.dataDir, 'templates');
  }

  /**
   * Opens the data dir, re-adopts every living VM and cleans up what is dead. `warm: false`
   * (for `npm run down`) starts no warm children: they would only be killed again.
   */
  static async open(cfg: EngineConfig, opts: { warm?: boolean } = {}): Promise<ForkEngine> {
    for (const d of [
      cfg.dataDir,
      join(cfg.dataDir, 'vms'),
      join(cfg.dataDir, 'templates'),
      cfg.shmDir,
    ]) {
      mkdirSync(d, { recursive: true, mode: 0o755 });
    }
    logger.level = cfg.logLevel;
    const user = lookupUser(cfg.runAsUser);
    const oomErr = setOomScoreAdj('self', -900);
    if (oomErr) {
      // Children still get +500, so the OOM killer picks a VM before the agent.
      logger.warn(
        { reason: oomErr },
        'could not lower the agent oom_score_adj (needs CAP_SYS_RESOURCE)',
      );
    }
    becomeChildSubreaper();
    const tag = createHash('sha256').update(cfg.dataDir).digest('hex').slice(0, 12);
    const engine = new ForkEngine(
      cfg,
      user,
      new Cgroups(detectCgroups(), `dd-${tag}`),
      qemuBuildId(cfg.qemuBinary),
      tag.slice(0, 8),
    );
    engine.loadTemplates();
    await engine.adopt();
    await engine.cgroups.sweep(new Set(engine.vms.keys()));
    await engine.nat.sweep(new Set(engine.vms.keys()));
    // Living NAT desktops get the host's rules back if anything flushed them meanwhile.
    if ([...engine.vms.values()].some((v) => v.network)) await engine.nat.ensureHost();
    // Warm pools start now, not at the first fork after a restart.
    if (opts.warm !== false)
      for (const t of engine.templates.values()) if (t.record) engine.poolFor(t.record).refill();
    return engine;
  }

  // ---------------------------------------------------------------- images

  importImage(version: string, src: ImageSource): ImageVersion {
    return this.images.import(version, src);
  }

  listImages(): ImageVersion[] {
    return this.images.list();
  }

  // ---------------------------------------------------------------- templates

  private loadTemplates(): void {
    for (const name of readdirSync(this.templatesDir)) {
      const dir = join(this.templatesDir, name);
      if (name.endsWith('.building')) {
        // A build the previous agent never finished: its QEMU, if any, is named after the id.
        const id = name.replace(/\.building$/, '');
        const rec = readJson<VmRecord>(join(dir, 'vm.json'));
        if (rec) void killVm(rec.pid, id);
        rmSync(dir, { recursive: true, force: true });
        rmSync(join(this.cfg.shmDir, `${id}.ram`), { force: true });
        continue;
      }
      const rec = readJson<TemplateRecord>(join(dir, 'template.json'));
      if (!rec) {
        logger.warn({ dir }, 'template dir without a record: removed');
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      this.templates.set(rec.id, {
        id: rec.id,
        record: rec,
        imageVersion: rec.imageVersion,
        shape: rec.shape,
        startedAt: rec.createdAt,
      });
    }
  }

  private childCount(templateId: string): number {
    let n = 0;
    for (const v of this.vms.values()) if (v.kind === 'child' && v.templateId === templateId) n++;
    for (const t of this.templates.values()) if (t.record?.parentTemplateId === templateId) n++;
    return n;
  }

  private templateInfo(t: TemplateEntry): TemplateInfo {
    const r = t.record;
    return {
      id: t.id,
      imageVersion: t.imageVersion,
      shape: t.shape,
      accel: r?.accel ?? this.accel?.accel ?? 'tcg',
      state: r ? 'ready' : t.building ? 'building' : 'failed',
      deviceStateBytes: r?.stateBytes ?? 0,
      buildMs: r?.buildMs ?? 0,
      createdAt: r?.createdAt ?? t.startedAt,
      children: this.childCount(t.id),
      ...(t.error ? { error: t.error } : {}),
      ...(r?.fullCopy ? { fullCopy: true } : {}),
    };
  }

  listTemplates(): TemplateInfo[] {
    this.dropTemplatesWithoutFiles();
    return [...this.templates.values()].map((t) => this.templateInfo(t));
  }

  /** Forgets ready templates whose frozen files are gone; their next ensureTemplate rebuilds. */
  private dropTemplatesWithoutFiles(): void {
    for (const t of [...this.templates.values()]) {
      const missing = t.record ? missingTemplateFiles(t.record) : [];
      if (missing.length === 0) continue;
      logger.error(
        { template: t.id, missing },
        'template files are gone: the template is dropped and is rebuilt when asked for again',
      );
      const pool = this.pools.get(t.id);
      this.pools.delete(t.id);
      void pool?.close();
      if (t.record) rmSync(t.record.ramFile, { force: true });
      rmSync(join(this.templatesDir, t.id), { recursive: true, force: true });
      this.templates.delete(t.id);
    }
  }

  getTemplate(id: string): TemplateInfo | undefined {
    const t = this.templates.get(id);
    return t && this.templateInfo(t);
  }

  /** The template's full record (files, timings), for tests and the bench. */
  templateRecord(id: string): TemplateRecord | undefined {
    return this.templates.get(id)?.record;
  }

  private async accelFor(image: ImageVersion): Promise<AccelVerdict> {
    this.accel ??= await resolveAccel(this.cfg, this.qemuBuild, image, this.user);
    return this.accel;
  }

  private deviceProfile(): string {
    return `q35-10.0-nohpet/${this.cfg.cpuModel}/hp${this.cfg.hotplugPorts}/vga-std/virtio-norom/tb${this.cfg.tcgTbSizeMiB}`;
  }

  async ensureTemplate(req: CreateTemplateRequest): Promise<TemplateInfo> {
    const image = req.image
      ? this.images.import(req.imageVersion, req.image)
      : this.images.require(req.imageVersion);
    const shape = checkShape(req.shape ?? DEFAULT_SHAPE);
    const accel = await this.accelFor(image);
    const keyParts = {
      imageVersion: image.version,
      imageHash: image.hash,
      shape,
      deviceProfile: this.deviceProfile(),
      accel: accel.accel,
      qemuBuild: this.qemuBuild,
    };
    const key = templateKey(keyParts);
    const id = `t-${key}`;
    const existing = this.templates.get(id);
    if (existing?.record) return this.templateInfo(existing);
    if (existing?.building) {
      await existing.building;
      return this.templateInfo(existing);
    }
    const entry: TemplateEntry = {
      id,
      imageVersion: image.version,
      shape,
      startedAt: new Date().toISOString(),
    };
    this.templates.set(id, entry);
    const cacheKey = templateCacheKey(keyParts, image);
    const build = async (): Promise<TemplateRecord> => {
      const restored = await restoreFromCache(this.cfg, this.templatesDir, {
        id,
        key,
        cacheKey,
        image,
        shape,
      });
      if (restored) return restored;
      const built = await buildTemplate(this.cfg, this.templatesDir, this.user, {
        id,
        key,
        image,
        shape,
        accel: accel.accel,
        deviceProfile: this.deviceProfile(),
        qemuBuild: this.qemuBuild,
      });
      await storeInCache(this.cfg, cacheKey, built);
      return built;
    };
    entry.building = build();
    try {
      entry.record = await entry.building;
      this.poolFor(entry.record).refill();
    } catch (err) {
      entry.error = (err as Error).message;
      throw err;
    } finally {
      entry.building = undefined;
    }
    return this.templateInfo(entry);
  }

  async deleteTemplate(id: string): Promise<void> {
    const t = this.templates.get(id);
    if (!t) throw new NotFoundError(`no template ${id}`);
    if (t.building) throw new ConflictError(`template ${id} is still building`);
    const n = this.childCount(id);
    if (n > 0)
      throw new ConflictError(`template ${id} still has ${n} child(ren) or dependent template(s)`);
    await this.pools.get(id)?.close();
    this.pools.delete(id);
    if (t.record) rmSync(t.record.ramFile, { force: true });
    rmSync(join(this.templatesDir, id), { recursive: true, force: true });
    this.templates.delete(id);
  }

  private poolFor(t: TemplateRecord): WarmPool {
    let pool = this.pools.get(t.id);
    if (!pool) {
      pool = new WarmPool(
        t.id,
        this.cfg.warmPoolMax,
        () => prepareChild(this.childEnv, t),
        (p) => this.discardPrepared(p),
        () => readHostMemory().availableMiB - this.cfg.forkEstimateMiB > this.cfg.reserveMiB,
      );
      this.pools.set(t.id, pool);
    }
    return pool;
  }

  /** Waits until the template's warm pool is not refilling (bench and tests). */
  async settleWarmPool(templateId: string): Promise<number> {
    const pool = this.pools.get(templateId);
    if (!pool) return 0;
    await pool.settle();
    return pool.size;
  }

  private async discardPrepared(p: PreparedChild): Promise<void> {
    p.qmp.close();
    p.ga.close();
    await destroyVmFiles(this.childEnv, p.record);
  }

  // ---------------------------------------------------------------- fork

  private readyTemplate(id: string): TemplateRecord {
    const t = this.templates.get(id);
    if (!t) throw new NotFoundError(`no template ${id}`);
    if (!t.record)
      throw new ConflictError(`template ${id} is ${t.building ? 'still building' : 'failed'}`);
    return t.record;
  }

  async fork(
    templateId: string,
    count: number,
    network: NetworkMode = 'restricted',
  ): Promise<ChildInfo[]> {
    return (await this.forkWith(templateId, count, { useWarm: true, network })).map((r) =>
      this.childInfo(r),
    );
  }

  /**
   * Forks bypassing the warm pool (cold) or with it; ids may be given (re-forks). Warm
   * children have no network, so NAT children are always cold.
   */
  async forkWith(
    templateId: string,
    count: number,
    opts: { useWarm: boolean; ids?: string[]; network?: NetworkMode },
  ): Promise<VmRecord[]> {
    const nat = opts.network === 'nat';
    if (!Number.isInteger(count) || count < 1 || count > MAX_FORK_COUNT) {
      throw new RangeError(`count must be 1..${MAX_FORK_COUNT}, got ${count}`);
    }
    const startedAt = Date.now();
    const t = this.readyTemplate(templateId);
    await validateTemplate(t);
    const pool = opts.useWarm && !nat ? this.poolFor(t) : undefined;
    const warm: PreparedChild[] = [];
    for (let i = 0; i < count && pool && !opts.ids; i++) {
      const p = pool.take();
      if (!p) break;
      warm.push(p);
    }
    const cold = count - warm.length;
    try {
      checkReserve(readHostMemory(), this.cfg.reserveMiB, cold, this.cfg.forkEstimateMiB);
    } catch (err) {
      await Promise.all(warm.map((p) => this.discardPrepared(p)));
      throw err;
    }
    const jobs: Promise<ForkedChild>[] = [];
    for (const p of warm) {
      p.record.warm = true;
      jobs.push(completeChild(this.childEnv, t, p, startedAt));
    }
    for (let i = 0; i < cold; i++) {
      const id = opts.ids?.[i];
      jobs.push(
        prepareChild(this.childEnv, t, id, nat).then((p) =>
          completeChild(this.childEnv, t, p, startedAt),
        ),
      );
    }
    const results = await Promise.allSettled(jobs);
    pool?.refill();
    const ok = results.filter(
      (r): r is PromiseFulfilledResult<ForkedChild> => r.status === 'fulfilled',
    );
    for (const { value } of ok) {
      this.vms.set(value.record.id, value.record);
      this.agents.set(value.record.id, value.ga);
    }
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) {
      // All or nothing: a caller asking for N children never gets a partial batch to track.
      await Promise.all(ok.map((r) => this.destroy(r.value.record.id)));
      throw new ForkError(
        `${failed.length} of ${count} fork(s) failed: ${(failed[0]?.reason as Error).message}`,
      );
    }
    return ok.map((r) => r.value.record);
  }

  // ---------------------------------------------------------------- running VMs

  /** Boots an image as a running VM with its own shared RAM file: it can be forked later. */
  async boot(req: CreateTemplateRequest): Promise<ChildInfo> {
    const image = this.images.require(req.imageVersion);
    const shape = checkShape(req.shape ?? DEFAULT_SHAPE);
    const accel = await this.accelFor(image);
    checkReserve(readHostMemory(), this.cfg.reserveMiB, 1, shape.memoryMiB);
    const t0 = Date.now();
    const id = newVmId('v');
    const paths = vmPaths(join(this.vmsDir, id));
    makeVmDir(paths.dir, this.user);
    const spec: VmSpec = {
      id,
      accel: accel.accel,
      tcgTbSizeMiB: this.cfg.tcgTbSizeMiB,
      cpuModel: this.cfg.cpuModel,
      vcpus: shape.vcpus,
      memoryMiB: shape.memoryMiB,
      ram: { kind: 'shared', path: join(this.cfg.shmDir, `${id}.ram`) },
      kernel: image.kernel,
      initrd: image.initrd,
      append: image.append,
      disk: paths.disk,
      vmgenid: randomUUID(),
      ...vmChannels(paths),
      hotplugPorts: this.cfg.hotplugPorts,
      incoming: false,
      runAsUser: this.cfg.runAsUser || undefined,
      sandbox: this.cfg.sandbox,
    };
    let rec: VmEntry | undefined;
    try {
      await createOverlay(this.cfg.qemuImgBinary, image.disk, paths.disk);
      const launched = startVm(this.cfg.qemuBinary, spec, paths.qemuLog);
      rec = {
        id,
        kind: 'source',
        imageVersion: image.version,
        pid: launched.pid,
        spec,
        dir: paths.dir,
        state: 'starting',
        createdAt: new Date().toISOString(),
        forkMs: 0,
        warm: false,
      };
      rec.cgroup = this.cgroups.place(
        id,
        launched.pid,
        shape.memoryMiB + this.cfg.cgroupOverheadMiB,
      );
      saveRecord(rec);
      this.vms.set(id, rec);
      const ga = await waitGuestReady(spec, launched, paths.qemuLog, this.cfg.bootTimeoutMs);
      this.agents.set(id, ga);
      await waitReadyCheck(ga, image.readyCheck, this.cfg.bootTimeoutMs);
      rec.state = 'running';
      rec.forkMs = Date.now() - t0;
      saveRecord(rec);
      return this.childInfo(rec);
    } catch (err) {
      if (rec) await this.destroy(id);
      else rmSync(paths.dir, { recursive: true, force: true });
      rmSync(spec.ram.path, { force: true });
      throw err;
    }
  }

  /**
   * Freezes a running VM as a new template and brings it back as child 0 (same id) plus
   * `count - 1` new children. A VM with its own shared RAM file freezes in place; a forked
   * child's RAM is private, so it is first copied whole into a new shared file (`fullCopy`).
   */
  async forkRunning(
    vmId: string,
    count: number,
  ): Promise<{ template: TemplateInfo; children: ChildInfo[] }> {
    const vm = this.vms.get(vmId);
    if (!vm || vm.kind === 'warm') throw new NotFoundError(`no running VM ${vmId}`);
    if (!Number.isInteger(count) || count < 1 || count > MAX_FORK_COUNT) {
      throw new RangeError(`count must be 1..${MAX_FORK_COUNT}, got ${count}`);
    }
    if (vm.disks?.length)
      throw new ConflictError(`VM ${vmId} has a user disk plugged in: unplug it before forking`);
    const t0 = Date.now();
    const id = `t-${newVmId('r').slice(2)}`;
    const finalDir = join(this.templatesDir, id);
    const buildDir = `${finalDir}.building`;
    makeVmDir(buildDir, this.user);
    const files = templateFiles(buildDir, this.cfg.shmDir, id);
    const fullCopy = vm.spec.ram.kind === 'frozen';
    const parentTemplateId = vm.templateId;
    try {
      if (fullCopy) {
        checkReserve(readHostMemory(), this.cfg.reserveMiB, 1, vm.spec.memoryMiB);
        await this.copyIntoSharedRam(vm, id, buildDir, files.ram, files.state);
      } else {
        await this.withQmp(vm, (qmp) => freezeToFile(qmp, files.state));
        if (!(await waitExit(vm.pid, vm.id, 10_000)))
          throw new Error('QEMU did not exit after freezing');
        this.closeAgent(vm.id);
        renameSync(vm.spec.ram.path, files.ram);
      }
      // The VM's own disk becomes the template's frozen overlay.
      renameSync(vm.spec.disk, files.overlay);
      chownSync(files.state, 0, 0);
      const freezeMs = Date.now() - t0;
      await this.cgroups.remove(vm.cgroup);
      if (vm.network) await this.nat.teardown(vm.network);
      rmSync(vm.dir, { recursive: true, force: true });
      this.vms.delete(vm.id);
      const rec = await publishTemplate(this.cfg, buildDir, finalDir, {
        id,
        key: id,
        imageVersion: vm.imageVersion ?? 'unknown',
        shape: { vcpus: vm.spec.vcpus, memoryMiB: vm.spec.memoryMiB },
        accel: vm.spec.accel,
        deviceProfile: this.deviceProfile(),
        qemuBuild: this.qemuBuild,
        // A NAT child's tap lives in its namespace: the template (and child 0) are restricted.
        spec: { ...vm.spec, ram: { kind: 'shared', path: files.ram }, tap: undefined },
        buildMs: freezeMs,
        freezeMs,
        createdAt: new Date().toISOString(),
        ...(fullCopy ? { fullCopy: true, parentTemplateId } : {}),
      });
      this.templates.set(id, {
        id,
        record: rec,
        imageVersion: rec.imageVersion,
        shape: rec.shape,
        startedAt: rec.createdAt,
      });
      const ids = [vmId, ...Array.from({ length: count - 1 }, () => newVmId('c'))];
      const children = await this.forkWith(id, count, { useWarm: false, ids });
      logger.info({ vm: vmId, template: id, fullCopy, freezeMs }, 'running VM forked');
      return {
        template: this.templateInfo(this.templates.get(id) as TemplateEntry),
        children: children.map((c) => this.childInfo(c)),
      };
    } catch (err) {
      rmSync(buildDir, { recursive: true, force: true });
      throw new ForkError(`fork of running VM ${vmId} failed: ${(err as Error).message}`);
    }
  }

  /**
   * Full copy of a child's private RAM: a receiver QEMU with a new shared RAM file takes a
   * regular live migration from the child, then freezes like a template.
   */
  private async copyIntoSharedRam(
    vm: VmEntry,
    id: string,
    buildDir: string,
    ram: string,
    state: string,
  ): Promise<void> {
    const paths = vmPaths(join(buildDir, 'recv'));
    makeVmDir(paths.dir, this.user);
    const spec: VmSpec = {
      ...vm.spec,
      // Started outside the source's namespace, if it has one.
      tap: undefined,
      id: `${id}-recv`,
      ram: { kind: 'shared', path: ram },
      ...vmChannels(paths),
      incoming: true,
    };
    const launched = startVm(this.cfg.qemuBinary, spec, paths.qemuLog);
    const migSock = join(paths.dir, 'mig.sock');
    try {
      const recv = await connectQmp(spec.qmpSocket, { retryMs: 10_000 });
      const recvGa = await GuestAgent.open(spec.qgaSocket, 5000);
      const src = await connectQmp(vm.spec.qmpSocket, { retryMs: 2000 });
      try {
        await recv.execute('migrate-incoming', { uri: `unix:${migSock}` });
        await src.execute('stop');
        // The child loaded its state with x-ignore-shared; this copy must carry all RAM.
        await src.execute('migrate-set-capabilities', {
          capabilities: [{ capability: 'x-ignore-shared', state: false }],
        });
        await src.execute('migrate', { uri: `unix:${migSock}` });
        await waitMigration(src, 'RAM copy', 120_000);
        await waitMigration(recv, 'RAM copy (receiver)', 120_000);
      } finally {
        src.close();
      }
      await killVm(vm.pid, vm.id);
      this.closeAgent(vm.id);
      try {
        await freezeToFile(recv, state);
      } finally {
        recv.close();
        recvGa.close();
      }
      if (!(await waitExit(launched.pid, spec.id, 10_000)))
        throw new Error('receiver did not exit after freezing');
    } catch (err) {
      await killVm(launched.pid, spec.id);
      const text = qemuStderr(paths.qemuLog);
      throw new Error(`${(err as Error).message}${text ? ` (receiver QEMU: ${text})` : ''}`);
    } finally {
      rmSync(paths.dir, { recursive: true, force: true });
    }
  }

  // ---------------------------------------------------------------- children

  private childInfo(r: VmRecord): ChildInfo {
    return {
      id: r.id,
      templateId: r.templateId ?? '',
      pid: r.pid,
      state: isVmProcess(r.pid, r.id) ? r.state : 'dead',
      vncSocket: r.spec.vncSocket,
      createdAt: r.createdAt,
      forkMs: r.forkMs,
      warm: r.warm,
    };
  }

  listChildren(): ChildInfo[] {
    return [...this.vms.values()].filter((v) => v.kind !== 'warm').map((v) => this.childInfo(v));
  }

  getChild(id: string): ChildInfo | undefined {
    const v = this.vms.get(id);
    if (!v || v.kind === 'warm') return undefined;
    return { ...this.childInfo(v), memory: readProcessMemory(v.pid) };
  }

  /** The VM's record (paths, spec), for tests and the bench. */
  vmRecord(id: string): VmRecord | undefined {
    return this.vms.get(id);
  }

  private requireVm(id: string): VmEntry {
    const v = this.vms.get(id);
    if (!v || v.kind === 'warm') throw new NotFoundError(`no VM ${id}`);
    if (!isVmProcess(v.pid, v.id)) throw new ConflictError(`VM ${id} is not running`);
    return v;
  }

  async destroy(id: string): Promise<void> {
    const v = this.vms.get(id);
    if (!v) throw new NotFoundError(`no VM ${id}`);
    this.closeAgent(id);
    await destroyVmFiles(this.childEnv, v);
    if (v.kind === 'source') rmSync(v.spec.ram.path, { force: true });
    this.vms.delete(id);
  }

  /** The VM's guest agent connection (shared: callers must not close it). */
  async guest(id: string, timeoutMs = 10_000): Promise<GuestAgent> {
    const vm = this.requireVm(id);
    const held = this.agents.get(id);
    if (held && !held.closed) return held;
    // One connect per VM at a time: QEMU serves one client and leaves a second one queued in
    // its listen backlog, where its retries end in EAGAIN until the whole timeout runs out.
    let connecting = this.agentConnects.get(id);
    if (!connecting) {
      connecting = GuestAgent.connect(vm.spec.qgaSocket, timeoutMs)
        .then((ga) => {
          this.agents.set(id, ga);
          return ga;
        })
        .finally(() => this.agentConnects.delete(id));
      this.agentConnects.set(id, connecting);
    }
    return connecting;
  }

  private closeAgent(id: string): void {
    this.agents.get(id)?.close();
    this.agents.delete(id);
  }

  async exec(id: string, req: ExecRequest): Promise<ExecResult> {
    if (
      !Array.isArray(req.command) ||
      req.command.length === 0 ||
      req.command.some((c) => typeof c !== 'string')
    ) {
      throw new RangeError('command must be a non-empty array of strings');
    }
    const ga = await this.guest(id);
    return ga.exec(req.command, req.timeoutMs ?? 30_000);
  }

  /** Returns what the image's fork hook reported, when the image has one. */
  async personalize(id: string, p: Personalization): Promise<ForkHookResult | undefined> {
    const vm = this.requireVm(id);
    const ga = await this.guest(id);
    // Before the session starts, so its clipboard agent finds the port.
    await this.plugClipboard(vm);
    const hook = vm.imageVersion ? this.images.get(vm.imageVersion)?.forkHook : undefined;
    if (hook) {
      // The image personalizes itself (identity, clock, home disk, then the user's session).
      const disk = p.persistentDisk ? await this.plugUserDisk(vm, p) : undefined;
      return runForkHook(
        ga,
        hook,
        {
          hostname: p.hostname ?? vm.id,
          user: p.userName ?? 'user',
          ...(p.fullName ? { fullName: p.fullName } : {}),
          ...(disk ? { diskSerial: disk.serial } : {}),
        },
        FORK_HOOK_TIMEOUT_MS,
      );
    }
    if (p.syncClock !== false) await ga.setTime();
    if (p.hostname) await setHostname(ga, p.hostname);
    if (p.userName) await setUser(ga, p.userName);
    if (p.persistentDisk) {
      const disk = await this.plugUserDisk(vm, p);
      await mountDisk(ga, disk.serial, `/home/${p.userName ?? 'user'}`);
    }
    return undefined;
  }

  /** QEMU's QMP socket takes one client at a time: hold it only for `fn`. */
  private async withQmp<T>(vm: VmEntry, fn: (qmp: JsonChannel) => Promise<T>): Promise<T> {
    const qmp = await connectQmp(vm.spec.qmpSocket, { retryMs: 2000 });
    try {
      return await fn(qmp);
    } finally {
      qmp.close();
    }
  }

  /**
   * How to resize a child's desktop from the guest side, when its image has a resize hook
   * (run through the guest agent: `<hook> WIDTH HEIGHT`).
   */
  displayResizer(id: string): ((w: number, h: number) => Promise<void>) | undefined {
    const vm = this.vms.get(id);
    const hook = vm?.imageVersion ? this.images.get(vm.imageVersion)?.resizeHook : undefined;
    if (!hook) return undefined;
    return async (w, h) => {
      const r = await (await this.guest(id)).exec([hook, String(w), String(h)], 15_000);
      if (r.exitCode !== 0) throw new Error(`resize hook failed: ${r.stderr.trim()}`);
    };
  }

  private async plugClipboard(vm: VmEntry): Promise<void> {
    if (vm.clipboard) return;
    await this.withQmp(vm, (qmp) => hotplugClipboard(qmp));
    vm.clipboard = true;
  }

  /** Hot-plugs the user's disk, created blank first when missing and a size is given. */
  private async plugUserDisk(vm: VmEntry, p: Personalization): Promise<PluggedDisk> {
    const path = p.persistentDisk ?? '';
    if (path.startsWith('/') && !existsSync(path) && p.persistentDiskSizeMiB) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      await this.createUserDisk(path, p.persistentDiskSizeMiB);
    }
    if (!path.startsWith('/') || !existsSync(path))
      throw new RangeError(`persistent disk ${path} does not exist`);
    const used = new Set((vm.disks ?? []).map((d) => d.port));
    const port = Array.from({ length: vm.spec.hotplugPorts }, (_, i) => i).find(
      (i) => !used.has(i),
    );
    if (port === undefined) throw new ConflictError(`VM ${vm.id} has no free hot-plug port`);
    // QEMU opens the disk after dropping privileges.
    if (this.user) chownSync(path, this.user.uid, this.user.gid);
    const disk = await this.withQmp(vm, (qmp) => hotplugDisk(qmp, path, port));
    vm.disks = [...(vm.disks ?? []), disk];
    return disk;
  }

  /** A blank ext4-formatted qcow2 for a user's persistent disk (host-side mkfs, sparse). */
  async createUserDisk(path: string, sizeMiB: number): Promise<void> {
    const raw = `${path}.raw`;
    const part = `${path}.part`;
    try {
      await run('truncate', ['-s', `${sizeMiB}M`, raw]);
      await run('mkfs.ext4', ['-q', '-F', raw]);
      // Renamed into place whole: a crash never leaves a half-written disk under its name.
      await run(this.cfg.qemuImgBinary, ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, part]);
      renameSync(part, path);
    } finally {
      rmSync(raw, { force: true });
      rmSync(part, { force: true });
    }
  }

  // ---------------------------------------------------------------- accounting

  async capacity(): Promise<HostCapacity> {
    const host = readHostMemory();
    let priv = 0;
    let children = 0;
    for (const v of this.vms.values()) {
      if (v.kind === 'warm') continue;
      children++;
      priv += readProcessMemory(v.pid)?.privateMiB ?? 0;
    }
    return {
      hostname: hostname(),
      accel: this.accel?.accel ?? (this.cfg.accel === 'kvm' ? 'kvm' : 'tcg'),
      totalMiB: host.totalMiB,
      availableMiB: host.availableMiB,
      reserveMiB: this.cfg.reserveMiB,
      children,
      templates: [...this.templates.values()].filter((t) => t.record).length,
      childrenPrivateMiB: Math.round(priv),
    };
  }

  // ---------------------------------------------------------------- restart

  /** Re-adopts VMs from their records; only what is truly dead is removed. */
  private async adopt(): Promise<void> {
    for (const name of readdirSync(this.vmsDir)) {
      const dir = join(this.vmsDir, name);
      const rec = readJson<VmRecord>(join(dir, 'vm.json'));
      const alive = rec !== undefined && isVmProcess(rec.pid, rec.id);
      if (rec && alive && rec.kind === 'warm') {
        // Warm children are disposable: the new pool refills with its own.
        await destroyVmFiles(this.childEnv, rec);
        continue;
      }
      if (!rec || !alive) {
        logger.info({ dir, pid: rec?.pid }, 'removing dead VM');
        if (rec) await this.cgroups.remove(rec.cgroup);
        if (rec?.network) await this.nat.teardown(rec.network);
        if (rec?.kind === 'source') rmSync(rec.spec.ram.path, { force: true });
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      try {
        const qmp = await connectQmp(rec.spec.qmpSocket, { timeoutMs: 5000 });
        const st = await qmp.execute<{ status: string }>('query-status');
        qmp.close();
        rec.state = st.status === 'running' ? 'running' : 'paused';
      } catch (err) {
        logger.warn({ id: rec.id, err: (err as Error).message }, 'adopted VM does not answer QMP');
      }
      this.vms.set(rec.id, rec);
      await GuestAgent.open(rec.spec.qgaSocket)
        .then((ga) => this.agents.set(rec.id, ga))
        .catch((err: Error) =>
          logger.warn({ id: rec.id, err: err.message }, 'guest agent socket not reachable'),
        );
      logger.info({ id: rec.id, pid: rec.pid }, 'VM re-adopted');
    }
  }

  /** Stops background work (warm pools: their VMs are killed). Children keep running. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
    for (const id of [...this.agents.keys()]) this.closeAgent(id);
  }

  /** Destroys every VM and template (tests, uninstall). */
  async destroyAll(): Promise<void> {
    await this.close();
    await Promise.all([...this.vms.keys()].map((id) => this.destroy(id).catch(() => undefined)));
    for (const id of [...this.templates.keys()].reverse())
      await this.deleteTemplate(id).catch(() => undefined);
    await this.cgroups.dispose();
  }
}

function checkShape(s: VmShape): VmShape {
  if (!Number.isInteger(s.vcpus) || s.vcpus < 1 || s.vcpus > 64)
    throw new RangeError(`shape.vcpus must be 1..64`);
  if (!Number.isInteger(s.memoryMiB) || s.memoryMiB < 128 || s.memoryMiB > 1024 * 1024)
    throw new RangeError(`shape.memoryMiB must be 128..1048576`);
  return { vcpus: s.vcpus, memoryMiB: s.memoryMiB };
}
