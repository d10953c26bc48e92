// Making a forked desktop someone's: the image's fork hook (or the generic identity steps),
// the clipboard channel and the user's disk hot-plugged, commands and display resizes run
// through the guest agent.
import type { ExecRequest, ExecResult, Personalization } from '@forkdesk/agent-contract';
import { execFile } from 'child_process';
import { chownSync, existsSync, mkdirSync, renameSync, rmSync } from 'fs';
import { dirname } from 'path';
import { promisify } from 'util';
import type { EngineConfig } from '../config';
import type { CpuWeights } from '../cpu/cpu-weights';
import { ConflictError } from '../engine/errors';
import { ForkHookResult, runForkHook } from '../guest/fork-hook';
import { mountDisk, setHostname, setUser } from '../guest/personalize';
import { withQmp } from '../qmp/client';
import { logger } from '../logger';
import type { ImageStore, ImageVersion } from '../templates/images';
import { Priority, type PriorityGate } from './priority-gate';
import { hotplugClipboard, hotplugDisk, PluggedDisk } from '../vm/hotplug';
import type { UserIds } from '../vm/layout';
import type { VmEntry, VmTable } from './vm-table';

const run = promisify(execFile);

/** Generous: a fresh TCG child runs the hook's programs cold, and a busy host slows it further. */
const FORK_HOOK_TIMEOUT_MS = 60_000;

export class Personalizer {
  private readonly plugging = new Map<string, Promise<void>>();

  constructor(
    private readonly cfg: EngineConfig,
    private readonly user: UserIds | undefined,
    private readonly images: ImageStore,
    private readonly vms: VmTable,
    private readonly cpu: CpuWeights,
    private readonly gate: PriorityGate,
  ) {}

  async exec(id: string, req: ExecRequest): Promise<ExecResult> {
    if (
      !Array.isArray(req.command) ||
      req.command.length === 0 ||
      req.command.some((c) => typeof c !== 'string')
    ) {
      throw new RangeError('command must be a non-empty array of strings');
    }
    const ga = await this.vms.guest(id);
    return ga.exec(req.command, req.timeoutMs ?? 30_000);
  }

  /**
   * Returns what the image's fork hook reported, when the image has one. Waits its turn behind
   * other personalizations (not behind forks) when the host already runs enough guest work.
   */
  personalize(id: string, p: Personalization): Promise<ForkHookResult | undefined> {
    // From now on someone waits on this VM: it gets a desktop's CPU weight, above the spares'.
    this.cpu.setClass(id, 'desktop');
    const queued = performance.now();
    return this.gate.run(Priority.Personalize, () => this.personalizeNow(id, p, queued));
  }

  private async personalizeNow(
    id: string,
    p: Personalization,
    queued: number,
  ): Promise<ForkHookResult | undefined> {
    const vm = this.vms.require(id);
    const t0 = performance.now();
    const ga = await this.vms.guest(id);
    // Before the hook, which starts the clipboard agent on this port.
    await this.plugClipboard(vm);
    const hook = this.imageOf(vm)?.forkHook;
    if (hook) {
      // The image personalizes itself (identity, clock, the user's home disk).
      const t1 = performance.now();
      const disk = p.persistentDisk ? await this.plugUserDisk(vm, p) : undefined;
      const t2 = performance.now();
      const r = await runForkHook(
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
      // Where a user's wait goes: host-side plugging, and the hook as the host and guest saw it.
      logger.info(
        {
          vm: id,
          queuedMs: Math.round(t0 - queued),
          plugMs: Math.round(t1 - t0),
          diskMs: Math.round(t2 - t1),
          hookMs: Math.round(performance.now() - t2),
          hookGuestMs: r.ms,
        },
        'child personalized',
      );
      return r;
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

  /**
   * How to resize a child's desktop from the guest side, when its image has a resize hook
   * (run through the guest agent: `<hook> WIDTH HEIGHT`).
   */
  displayResizer(id: string): ((w: number, h: number) => Promise<void>) | undefined {
    const vm = this.vms.entry(id);
    const hook = this.imageOf(vm)?.resizeHook;
    if (!hook) return undefined;
    return async (w, h) => {
      const r = await (await this.vms.guest(id)).exec([hook, String(w), String(h)], 15_000);
      if (r.exitCode !== 0) throw new Error(`resize hook failed: ${r.stderr.trim()}`);
    };
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

  /**
   * Readies a new child of an image with a fork hook for whoever gets it, before anyone waits:
   * the clipboard channel is plugged (the guest's udev handles the new port now, not during the
   * user's hook) and the guest agent has run a shell once (its exec path and the hook's shell
   * are translated now: TCG starts each child with an empty translation cache). Measured on
   * the golden image: the hook 700-870 → 150-220 ms in the guest, 1.1-1.9 → 0.5-0.6 s at the
   * host. Never throws: personalization plugs the channel itself if this failed.
   */
  async prepare(id: string): Promise<void> {
    const vm = this.vms.entry(id);
    if (!vm || !this.imageOf(vm)?.forkHook) return;
    try {
      await this.plugClipboard(vm);
      await (await this.vms.guest(id)).exec(['/bin/sh', '-c', ':'], 30_000);
    } catch (err) {
      logger.warn({ err, vm: id }, 'could not prepare a new child ahead of its user');
    }
  }

  /** The image a VM was made from, when it names one the agent has. */
  private imageOf(vm: VmEntry | undefined): ImageVersion | undefined {
    return vm?.imageVersion ? this.images.get(vm.imageVersion) : undefined;
  }

  /** One plug per VM, whoever asks first (preparation and personalization may overlap). */
  private plugClipboard(vm: VmEntry): Promise<void> {
    if (vm.clipboard) return Promise.resolve();
    let p = this.plugging.get(vm.id);
    if (!p) {
      p = withQmp(vm.spec.qmpSocket, (qmp) => hotplugClipboard(qmp))
        .then(() => {
          vm.clipboard = true;
        })
        .finally(() => this.plugging.delete(vm.id));
      this.plugging.set(vm.id, p);
    }
    return p;
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
    const disk = await withQmp(vm.spec.qmpSocket, (qmp) => hotplugDisk(qmp, path, port));
    vm.disks = [...(vm.disks ?? []), disk];
    return disk;
  }
}
