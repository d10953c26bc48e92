// Running VMs: an image booted with its own shared RAM file, and the fork of any running VM
// (a booted one, or a child) into a new template plus children.
import type {
  ChildInfo,
  CreateTemplateRequest,
  TemplateInfo,
  VmShape,
} from '@forkdesk/agent-contract';
import { chownSync, renameSync, rmSync } from 'fs';
import { join } from 'path';
import type { AccelVerdict } from '../accel/probe';
import type { EngineConfig } from '../config';
import { ConflictError, ForkError, NotFoundError } from '../engine/errors';
import { GuestAgent } from '../guest/client';
import { logger } from '../logger';
import type { CpuWeights } from '../cpu/cpu-weights';
import type { Cgroups } from '../memory/cgroup';
import { checkReserve, readHostMemory } from '../memory/proc';
import type { NatNetworks } from '../network/nat-network';
import { connectQmp, withQmp } from '../qmp/client';
import { publishTemplate, templateFiles, waitReadyCheck } from '../templates/builder';
import { freezeToFile, waitMigration } from '../templates/freeze';
import type { ImageStore, ImageVersion } from '../templates/images';
import type { TemplateRegistry } from '../templates/template-registry';
import type { VmSpec } from '../vm/args';
import { startVm, waitGuestReady } from '../vm/boot';
import { bootSpec } from '../vm/boot-spec';
import { makeVmDir, UserIds, vmChannels, vmPaths } from '../vm/layout';
import { killVm, qemuStderr, waitExit } from '../vm/process';
import { createOverlay } from '../vm/qemu-img';
import { checkForkCount, checkShape, DEFAULT_SHAPE } from '../vm/shape';
import { limitChildCpu, newVmId, saveRecord, startingRecord } from './child';
import type { Forker } from './forker';
import { childInfo, type VmEntry, type VmTable } from './vm-table';

export interface RunningVmDeps {
  cfg: EngineConfig;
  user: UserIds | undefined;
  qemuBuild: string;
  images: ImageStore;
  accelFor(image: ImageVersion): Promise<AccelVerdict>;
  cgroups: Cgroups;
  cpu: CpuWeights;
  nat: NatNetworks;
  vms: VmTable;
  templates: TemplateRegistry;
  forker: Forker;
}

export class RunningVms {
  constructor(private readonly d: RunningVmDeps) {}

  /** Boots an image as a running VM with its own shared RAM file: it can be forked later. */
  async boot(req: CreateTemplateRequest): Promise<ChildInfo> {
    const { cfg, vms } = this.d;
    const image = this.d.images.require(req.imageVersion);
    const shape: VmShape = checkShape(req.shape ?? DEFAULT_SHAPE);
    const accel = await this.d.accelFor(image);
    checkReserve(readHostMemory(), cfg.reserveMiB, 1, shape.memoryMiB);
    const t0 = Date.now();
    const id = newVmId('v');
    const paths = vmPaths(join(cfg.dataDir, 'vms', id));
    makeVmDir(paths.dir, this.d.user);
    const spec = bootSpec(cfg, {
      id,
      accel: accel.accel,
      shape,
      image,
      ramFile: join(cfg.shmDir, `${id}.ram`),
      disk: paths.disk,
      paths,
    });
    let rec: VmEntry | undefined;
    try {
      await createOverlay(cfg.qemuImgBinary, image.disk, paths.disk);
      const launched = startVm(cfg.qemuBinary, spec, paths.qemuLog);
      rec = startingRecord({
        id,
        kind: 'source',
        imageVersion: image.version,
        pid: launched.pid,
        spec,
        dir: paths.dir,
      });
      this.d.cgroups.place(id, launched.pid, shape.memoryMiB + cfg.cgroupOverheadMiB);
      // Someone asked for this VM and uses it (a lab's source, say): a desktop's weight.
      this.d.cpu.place(id, launched.pid, 'desktop');
      saveRecord(rec);
      vms.add(rec);
      const ga = await waitGuestReady(spec, launched, paths.qemuLog, cfg.bootTimeoutMs);
      vms.add(rec, ga);
      await waitReadyCheck(ga, image.readyCheck, cfg.bootTimeoutMs);
      rec.state = 'running';
      rec.forkMs = Date.now() - t0;
      saveRecord(rec);
      return childInfo(rec);
    } catch (err) {
      if (rec) await vms.destroy(id);
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
  fork(vmId: string, count: number): Promise<{ template: TemplateInfo; children: ChildInfo[] }> {
    // Its QEMU stops while the VM is frozen: the dead-VM reaper must leave it alone.
    return this.d.vms.hold(vmId, () => this.freezeAndFork(vmId, count));
  }

  private async freezeAndFork(
    vmId: string,
    count: number,
  ): Promise<{ template: TemplateInfo; children: ChildInfo[] }> {
    const { cfg, vms, templates } = this.d;
    const vm = vms.entry(vmId);
    if (!vm || vm.kind === 'warm') throw new NotFoundError(`no running VM ${vmId}`);
    checkForkCount(count);
    if (vm.disks?.length)
      throw new ConflictError(`VM ${vmId} has a user disk plugged in: unplug it before forking`);
    const t0 = Date.now();
    const id = `t-${newVmId('r').slice(2)}`;
    const finalDir = join(templates.dir, id);
    const buildDir = `${finalDir}.building`;
    makeVmDir(buildDir, this.d.user);
    const files = templateFiles(buildDir, cfg.shmDir, id);
    const fullCopy = vm.spec.ram.kind === 'frozen';
    const parentTemplateId = vm.templateId;
    try {
      if (fullCopy) {
        checkReserve(readHostMemory(), cfg.reserveMiB, 1, vm.spec.memoryMiB);
        await this.copyIntoSharedRam(vm, id, buildDir, files.ram, files.state);
      } else {
        await withQmp(vm.spec.qmpSocket, (qmp) => freezeToFile(qmp, files.state));
        if (!(await waitExit(vm.pid, vm.id, 10_000)))
          throw new Error('QEMU did not exit after freezing');
        vms.closeAgent(vm.id);
        renameSync(vm.spec.ram.path, files.ram);
      }
      // The VM's own disk becomes the template's frozen overlay.
      renameSync(vm.spec.disk, files.overlay);
      chownSync(files.state, 0, 0);
      const freezeMs = Date.now() - t0;
      await this.d.cgroups.remove(vm.id);
      await this.d.cpu.remove(vm.id);
      if (vm.network) await this.d.nat.teardown(vm.network);
      rmSync(vm.dir, { recursive: true, force: true });
      vms.forget(vm.id);
      const rec = await publishTemplate(cfg, buildDir, finalDir, {
        id,
        key: id,
        imageVersion: vm.imageVersion ?? 'unknown',
        shape: { vcpus: vm.spec.vcpus, memoryMiB: vm.spec.memoryMiB },
        accel: vm.spec.accel,
        deviceProfile: templates.deviceProfile(),
        qemuBuild: this.d.qemuBuild,
        // A NAT child's tap lives in its namespace: the template (and child 0) are restricted.
        spec: { ...vm.spec, ram: { kind: 'shared', path: files.ram }, tap: undefined },
        buildMs: freezeMs,
        freezeMs,
        createdAt: new Date().toISOString(),
        ...(fullCopy ? { fullCopy: true, parentTemplateId } : {}),
      });
      templates.add(rec);
      const ids = [vmId, ...Array.from({ length: count - 1 }, () => newVmId('c'))];
      const children = await this.d.forker.fork(id, count, { useWarm: false, ids });
      // Child 0 keeps the VM's CPU limit; the new ones are copies of it and get it too.
      for (const c of children) limitChildCpu(this.d.cpu, c, vm.cpuLimitPercent);
      logger.info({ vm: vmId, template: id, fullCopy, freezeMs }, 'running VM forked');
      return {
        template: templates.get(id) as TemplateInfo,
        children: children.map((c) => childInfo(c)),
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
    makeVmDir(paths.dir, this.d.user);
    const spec: VmSpec = {
      ...vm.spec,
      // Started outside the source's namespace, if it has one.
      tap: undefined,
      id: `${id}-recv`,
      ram: { kind: 'shared', path: ram },
      ...vmChannels(paths),
      incoming: true,
    };
    const launched = startVm(this.d.cfg.qemuBinary, spec, paths.qemuLog);
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
      this.d.vms.closeAgent(vm.id);
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
}
