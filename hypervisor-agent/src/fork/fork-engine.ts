// The fork engine: the EnginePort the HTTP API, the CLI and the gateway use, over its parts
// (templates, the VM table, the forker with its warm pools, running VMs, personalization).
// VMs outlive this object; a new engine on the same data dir re-adopts them.
import type {
  ChildInfo,
  CreateTemplateRequest,
  ExecRequest,
  ExecResult,
  ForkSettings,
  HostCapacity,
  Personalization,
  TemplateInfo,
} from '@forkdesk/agent-contract';
import { createHash } from 'crypto';
import { mkdirSync } from 'fs';
import { hostname } from 'os';
import { join } from 'path';
import { AccelVerdict, resolveAccel } from '../accel/probe';
import { EngineConfig } from '../config';
import type { EnginePort } from '../engine/engine.port';
import type { DisplayTarget } from '../gateway/session/desktop-session';
import type { GuestAgent } from '../guest/client';
import type { ForkHookResult } from '../guest/fork-hook';
import { logger } from '../logger';
import { PriorityGate } from './priority-gate';
import { checkCpuLimit } from '../cpu/cpu-limit';
import { CpuWeights, detectCpuGroups } from '../cpu/cpu-weights';
import { Cgroups, detectCgroups, setOomScoreAdj } from '../memory/cgroup';
import { readHostMemory, readProcessMemory } from '../memory/proc';
import { becomeChildSubreaper } from '../native/native';
import { SystemNetCommands } from '../network/commands';
import { NatNetworks } from '../network/nat-network';
import { ImageSource, ImageStore, ImageVersion } from '../templates/images';
import { TemplateRecord } from '../templates/template';
import { TemplateRegistry } from '../templates/template-registry';
import { lookupUser, UserIds } from '../vm/layout';
import { qemuBuildId } from '../vm/qemu-build';
import { checkShape, DEFAULT_SHAPE } from '../vm/shape';
import { ChildEnv, limitChildCpu, VmRecord } from './child';
import { Forker, ForkOptions } from './forker';
import { Personalizer } from './personalizer';
import { RunningVms } from './running-vm';
import { childInfo, VmTable } from './vm-table';

export class ForkEngine implements EnginePort {
  private readonly images: ImageStore;
  private readonly vms: VmTable;
  private readonly templates: TemplateRegistry;
  private readonly forker: Forker;
  private readonly running: RunningVms;
  private readonly personalizer: Personalizer;
  private readonly nat: NatNetworks;
  /** Removes VMs whose QEMU died (see VmTable.reapDead). */
  private reaper?: NodeJS.Timeout;
  private accel: AccelVerdict | undefined;

  private constructor(
    readonly cfg: EngineConfig,
    private readonly user: UserIds | undefined,
    private readonly cgroups: Cgroups,
    private readonly cpu: CpuWeights,
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
        dhcpLeaseS: cfg.natDhcpLeaseS,
        dhcpUser: user,
      },
      new SystemNetCommands(),
    );
    const env: ChildEnv = {
      qemuBinary: cfg.qemuBinary,
      vmsDir: join(cfg.dataDir, 'vms'),
      user,
      cgroups,
      cgroupOverheadMiB: cfg.cgroupOverheadMiB,
      cpu,
      oomScoreAdj: 500,
      nat: this.nat,
    };
    this.vms = new VmTable(env);
    this.templates = new TemplateRegistry({
      cfg,
      user,
      qemuBuild,
      children: (id) => this.vms.childrenOf(id),
      onReady: (t) => this.forker.warm(t),
      onRemove: (id) => this.forker.closePool(id),
    });
    const gate = new PriorityGate(cfg.guestWorkLimit);
    this.forker = new Forker(cfg, env, this.templates, this.vms, gate);
    this.running = new RunningVms({
      cfg,
      user,
      qemuBuild,
      images: this.images,
      accelFor: (image) => this.accelFor(image),
      cgroups,
      cpu,
      nat: this.nat,
      vms: this.vms,
      templates: this.templates,
      forker: this.forker,
    });
    this.personalizer = new Personalizer(cfg, user, this.images, this.vms, cpu, gate);
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
      new CpuWeights(detectCpuGroups(), `dd-${tag}`),
      qemuBuildId(cfg.qemuBinary),
      tag.slice(0, 8),
    );
    engine.templates.load();
    await engine.vms.adopt();
    await engine.cgroups.sweep(engine.vms.ids());
    await engine.cpu.sweep(engine.vms.ids());
    await engine.nat.sweep(engine.vms.ids());
    // Living NAT desktops get the host's rules back if anything flushed them meanwhile, and
    // their DHCP server if it died.
    const natVms = engine.vms.entries().filter((v) => v.network);
    if (natVms.length) await engine.nat.ensureHost();
    for (const v of natVms) {
      if (!v.network) continue;
      await engine.nat
        .ensureDhcp(v.network, v.dir)
        .catch((err: unknown) =>
          logger.error({ err, vm: v.id }, "could not restart a NAT desktop's DHCP server"),
        );
    }
    engine.reaper = setInterval(() => void engine.vms.reapDead(), cfg.reapIntervalMs);
    engine.reaper.unref();
    // Warm pools start now, not at the first fork after a restart.
    if (opts.warm !== false) for (const t of engine.templates.records()) engine.forker.warm(t);
    return engine;
  }

  private async accelFor(image: ImageVersion): Promise<AccelVerdict> {
    this.accel ??= await resolveAccel(this.cfg, this.qemuBuild, image, this.user);
    return this.accel;
  }

  // ---------------------------------------------------------------- images and templates

  importImage(version: string, src: ImageSource): ImageVersion {
    return this.images.import(version, src);
  }

  listImages(): ImageVersion[] {
    return this.images.list();
  }

  listTemplates(): TemplateInfo[] {
    return this.templates.list();
  }

  getTemplate(id: string): TemplateInfo | undefined {
    return this.templates.get(id);
  }

  /** The template's full record (files, timings), for tests and the bench. */
  templateRecord(id: string): TemplateRecord | undefined {
    return this.templates.record(id);
  }

  async ensureTemplate(req: CreateTemplateRequest): Promise<TemplateInfo> {
    const image = req.image
      ? this.images.import(req.imageVersion, req.image)
      : this.images.require(req.imageVersion);
    const shape = checkShape(req.shape ?? DEFAULT_SHAPE);
    const accel = await this.accelFor(image);
    return this.templates.ensure(image, shape, accel.accel);
  }

  deleteTemplate(id: string): Promise<void> {
    return this.templates.delete(id);
  }

  /** Waits until the template's warm pool is not refilling (bench and tests). */
  settleWarmPool(templateId: string): Promise<number> {
    return this.forker.settle(templateId);
  }

  // ---------------------------------------------------------------- forks and VMs

  async fork(templateId: string, count: number, settings: ForkSettings = {}): Promise<ChildInfo[]> {
    const { network = 'restricted', cpuLimitPercent: cpuLimit, spare = false } = settings;
    const template = this.templates.get(templateId);
    if (cpuLimit !== undefined && template) checkCpuLimit(cpuLimit, template.shape.vcpus);
    const children = await this.forker.fork(templateId, count, { useWarm: true, network, spare });
    for (const c of children) {
      limitChildCpu(this.cpu, c, cpuLimit);
      void this.personalizer.prepare(c.id);
    }
    return children.map((r) => childInfo(r));
  }

  /** Forks bypassing the warm pool (cold) or with it; ids may be given (re-forks). */
  forkWith(templateId: string, count: number, opts: ForkOptions): Promise<VmRecord[]> {
    return this.forker.fork(templateId, count, opts);
  }

  boot(req: CreateTemplateRequest): Promise<ChildInfo> {
    return this.running.boot(req);
  }

  forkRunning(
    vmId: string,
    count: number,
  ): Promise<{ template: TemplateInfo; children: ChildInfo[] }> {
    return this.running.fork(vmId, count);
  }

  listChildren(): ChildInfo[] {
    return this.vms.list();
  }

  getChild(id: string): ChildInfo | undefined {
    return this.vms.info(id);
  }

  /** The VM's record (paths, spec), for tests and the bench. */
  vmRecord(id: string): VmRecord | undefined {
    return this.vms.entry(id);
  }

  destroy(id: string): Promise<void> {
    return this.vms.destroy(id);
  }

  /** The VM's guest agent connection (shared: callers must not close it). */
  guest(id: string, timeoutMs?: number): Promise<GuestAgent> {
    return this.vms.guest(id, timeoutMs);
  }

  exec(id: string, req: ExecRequest): Promise<ExecResult> {
    return this.personalizer.exec(id, req);
  }

  personalize(id: string, p: Personalization): Promise<ForkHookResult | undefined> {
    return this.personalizer.personalize(id, p);
  }

  display(id: string): DisplayTarget | undefined {
    const child = this.vms.info(id);
    if (!child || child.state === 'dead') return undefined;
    const resize = this.personalizer.displayResizer(id);
    return { vncSocket: child.vncSocket, ...(resize ? { resize } : {}) };
  }

  createUserDisk(path: string, sizeMiB: number): Promise<void> {
    return this.personalizer.createUserDisk(path, sizeMiB);
  }

  // ---------------------------------------------------------------- accounting and life

  async capacity(): Promise<HostCapacity> {
    const host = readHostMemory();
    const children = this.vms.entries().filter((v) => v.kind !== 'warm');
    const priv = children.reduce((n, v) => n + (readProcessMemory(v.pid)?.privateMiB ?? 0), 0);
    return {
      hostname: hostname(),
      accel: this.accel?.accel ?? (this.cfg.accel === 'kvm' ? 'kvm' : 'tcg'),
      totalMiB: host.totalMiB,
      availableMiB: host.availableMiB,
      reserveMiB: this.cfg.reserveMiB,
      children: children.length,
      templates: this.templates.records().length,
      childrenPrivateMiB: Math.round(priv),
    };
  }

  /** Stops background work (warm pools: their VMs are killed). Children keep running. */
  async close(): Promise<void> {
    clearInterval(this.reaper);
    await this.forker.close();
    this.vms.closeAgents();
  }

  /** Destroys every VM and template (tests, uninstall). */
  async destroyAll(): Promise<void> {
    await this.close();
    await Promise.all([...this.vms.ids()].map((id) => this.vms.destroy(id).catch(() => undefined)));
    await this.templates.deleteAll();
    await this.cgroups.dispose();
    await this.cpu.dispose();
  }
}
