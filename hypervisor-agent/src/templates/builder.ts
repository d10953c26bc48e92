// Builds a template: boot the image with its RAM in a shared tmpfs file, wait until the guest
// is ready, freeze (device state to a file), then make every file read-only.
import { Accelerator, VmShape } from '@forkdesk/agent-contract';
import { chmodSync, chownSync, renameSync, rmSync, statSync } from 'fs';
import { join } from 'path';
import { EngineConfig } from '../config';
import { GuestAgent } from '../guest/client';
import { logger } from '../logger';
import { connectQmp } from '../qmp/client';
import { startVm, waitGuestReady } from '../vm/boot';
import { bootSpec } from '../vm/boot-spec';
import { makeVmDir, UserIds, vmPaths } from '../vm/layout';
import { killVm, qemuStderr, waitExit } from '../vm/process';
import { createOverlay } from '../vm/qemu-img';
import { writeJsonAtomic } from '../vm/state-file';
import { freezeToFile } from './freeze';
import { ImageVersion } from './images';
import { sha256File, TemplateRecord } from './template';

export interface BuildRequest {
  id: string;
  key: string;
  image: ImageVersion;
  shape: VmShape;
  accel: Accelerator;
  deviceProfile: string;
  qemuBuild: string;
}

/** Template files, once frozen. */
export function templateFiles(dir: string, shmDir: string, id: string) {
  return {
    ram: join(shmDir, `${id}.ram`),
    state: join(dir, 'state.bin'),
    overlay: join(dir, 'overlay.qcow2'),
    deltaProto: join(dir, 'delta-proto.qcow2'),
    record: join(dir, 'template.json'),
  };
}

/** Polls a readiness command in the guest (e.g. the desktop is up) until it exits 0. */
export async function waitReadyCheck(
  ga: GuestAgent,
  cmd: string[] | undefined,
  timeoutMs: number,
): Promise<void> {
  if (!cmd?.length) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await ga.exec(cmd, 5000);
    if (r.exitCode === 0) return;
    if (Date.now() > deadline)
      throw new Error(`guest not ready: "${cmd.join(' ')}" still fails (${r.stderr.trim()})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Makes a frozen template's files read-only and root-owned (children only read them). */
export function sealFiles(files: string[]): void {
  for (const f of files) {
    chownSync(f, 0, 0);
    chmodSync(f, 0o444);
  }
}

/** Moves a template from its build dir to its final dir and writes its record. */
export async function publishTemplate(
  cfg: EngineConfig,
  buildDir: string,
  finalDir: string,
  rec: Omit<
    TemplateRecord,
    'stateBytes' | 'stateSha256' | 'deltaProto' | 'overlay' | 'stateFile' | 'ramFile'
  >,
): Promise<TemplateRecord> {
  const f = templateFiles(finalDir, cfg.shmDir, rec.id);
  const building = templateFiles(buildDir, cfg.shmDir, rec.id);
  sealFiles([building.state, building.overlay, f.ram]);
  chownSync(buildDir, 0, 0);
  chmodSync(buildDir, 0o755);
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(buildDir, finalDir);
  await createOverlay(cfg.qemuImgBinary, f.overlay, f.deltaProto);
  sealFiles([f.deltaProto]);
  const t: TemplateRecord = {
    ...rec,
    ramFile: f.ram,
    stateFile: f.state,
    stateBytes: statSync(f.state).size,
    stateSha256: await sha256File(f.state),
    overlay: f.overlay,
    deltaProto: f.deltaProto,
  };
  writeJsonAtomic(f.record, t);
  chmodSync(f.record, 0o644);
  return t;
}

export async function buildTemplate(
  cfg: EngineConfig,
  templatesDir: string,
  user: UserIds | undefined,
  req: BuildRequest,
): Promise<TemplateRecord> {
  const t0 = Date.now();
  const finalDir = join(templatesDir, req.id);
  const buildDir = `${finalDir}.building`;
  rmSync(buildDir, { recursive: true, force: true });
  // QEMU writes the device state after dropping privileges: the build dir is its user's.
  makeVmDir(buildDir, user);
  const paths = vmPaths(buildDir);
  const files = templateFiles(buildDir, cfg.shmDir, req.id);
  rmSync(files.ram, { force: true });
  const spec = bootSpec(cfg, {
    id: req.id,
    accel: req.accel,
    shape: req.shape,
    image: req.image,
    ramFile: files.ram,
    disk: files.overlay,
    paths,
  });
  let pid: number | undefined;
  try {
    await createOverlay(cfg.qemuImgBinary, req.image.disk, files.overlay);
    const launched = startVm(cfg.qemuBinary, spec, paths.qemuLog);
    pid = launched.pid;
    logger.info({ template: req.id, image: req.image.version, pid }, 'template booting');
    const ga = await waitGuestReady(spec, launched, paths.qemuLog, cfg.bootTimeoutMs);
    let bootMs = 0;
    let tf = 0;
    try {
      await waitReadyCheck(ga, req.image.readyCheck, cfg.bootTimeoutMs);
      bootMs = Date.now() - t0;
      tf = Date.now();
      // Frozen with the guest agent's host side connected, so children (connected before
      // they run) find qemu-ga blocked in a read rather than in its 100 ms EOF retry loop.
      const qmp = await connectQmp(paths.qmpSocket, { retryMs: 5000 });
      try {
        await freezeToFile(qmp, files.state);
      } finally {
        qmp.close();
      }
      if (!(await waitExit(pid, req.id, 10_000)))
        throw new Error('QEMU did not exit after freezing');
    } finally {
      ga.close();
    }
    const freezeMs = Date.now() - tf;
    for (const s of [paths.qmpSocket, paths.qgaSocket, paths.vncSocket]) rmSync(s, { force: true });
    const t = await publishTemplate(cfg, buildDir, finalDir, {
      id: req.id,
      key: req.key,
      imageVersion: req.image.version,
      shape: req.shape,
      accel: req.accel,
      deviceProfile: req.deviceProfile,
      qemuBuild: req.qemuBuild,
      spec,
      buildMs: Date.now() - t0,
      freezeMs,
      createdAt: new Date().toISOString(),
    });
    logger.info({ template: t.id, bootMs, freezeMs, stateBytes: t.stateBytes }, 'template frozen');
    return t;
  } catch (err) {
    const stderr = qemuStderr(paths.qemuLog);
    if (pid !== undefined) await killVm(pid, req.id);
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(files.ram, { force: true });
    const msg = (err as Error).message;
    throw new Error(
      `template ${req.id} build failed: ${msg}${stderr && !msg.includes(stderr) ? ` (QEMU: ${stderr})` : ''}`,
    );
  }
}
