// Chooses KVM or TCG. `auto` boots the tiny test VM under KVM with a time limit and falls back
// to TCG with the reason logged; the verdict is cached per host, kernel and QEMU build.
import { Accelerator } from '@forkdesk/agent-contract';
import { randomUUID } from 'crypto';
import { accessSync, constants, mkdirSync, rmSync } from 'fs';
import { release } from 'os';
import { join } from 'path';
import { AccelChoice, EngineConfig } from '../config';
import { logger } from '../logger';
import { ImageVersion } from '../templates/images';
import { buildQemuArgs } from '../vm/args';
import { bootSpec } from '../vm/boot-spec';
import { makeVmDir, UserIds, vmPaths } from '../vm/layout';
import { killVm, launchQemu, qemuStderr } from '../vm/process';
import { readJson, writeJsonAtomic } from '../vm/state-file';
import { deathOf } from '../vm/boot';
import { GuestAgent } from '../guest/client';
import { createOverlay } from '../vm/qemu-img';

export interface AccelVerdict {
  accel: Accelerator;
  reason: string;
  probedAt?: string;
  bootMs?: number;
  cacheKey?: string;
}

export function kvmUsable(dev = '/dev/kvm'): string | undefined {
  try {
    accessSync(dev, constants.R_OK | constants.W_OK);
    return undefined;
  } catch (err) {
    return `${dev} not usable: ${(err as Error).message}`;
  }
}

/** Decides without booting when the choice is explicit or KVM cannot work at all. */
export function quickVerdict(
  choice: AccelChoice,
  kvmProblem: string | undefined,
): AccelVerdict | undefined {
  if (choice === 'tcg') return { accel: 'tcg', reason: 'FORKDESK_ACCEL=tcg' };
  if (choice === 'kvm') {
    if (kvmProblem) throw new Error(`FORKDESK_ACCEL=kvm but ${kvmProblem}`);
    return { accel: 'kvm', reason: 'FORKDESK_ACCEL=kvm' };
  }
  if (kvmProblem) return { accel: 'tcg', reason: kvmProblem };
  return undefined;
}

export async function resolveAccel(
  cfg: EngineConfig,
  qemuBuild: string,
  image: ImageVersion | undefined,
  user: UserIds | undefined,
): Promise<AccelVerdict> {
  const quick = quickVerdict(cfg.accel, kvmUsable());
  if (quick) {
    logger.info(quick, 'accelerator chosen');
    return quick;
  }
  const cacheKey = `${release()}|${qemuBuild}`;
  const cacheFile = join(cfg.dataDir, 'accel-probe.json');
  const cached = readJson<AccelVerdict>(cacheFile);
  if (cached?.cacheKey === cacheKey) {
    logger.info(cached, 'accelerator chosen (cached probe)');
    return cached;
  }
  if (!image) return { accel: 'tcg', reason: 'no image to probe KVM with yet' };
  const verdict = await probeKvm(cfg, image, user);
  const full = { ...verdict, cacheKey, probedAt: new Date().toISOString() };
  writeJsonAtomic(cacheFile, full);
  logger.info(full, 'accelerator chosen (probed)');
  return full;
}

/** Boots the image under KVM; KVM wins only if the guest agent answers within the limit. */
async function probeKvm(
  cfg: EngineConfig,
  image: ImageVersion,
  user: UserIds | undefined,
): Promise<AccelVerdict> {
  const id = `probe-${randomUUID().slice(0, 8)}`;
  const paths = vmPaths(join(cfg.dataDir, 'vms', id));
  makeVmDir(paths.dir, user);
  mkdirSync(cfg.shmDir, { recursive: true });
  const ram = join(cfg.shmDir, `${id}.ram`);
  const spec = bootSpec(cfg, {
    id,
    accel: 'kvm',
    shape: { vcpus: 1, memoryMiB: 256 },
    image,
    ramFile: ram,
    disk: paths.disk,
    paths,
    hotplugPorts: 0,
  });
  const t0 = Date.now();
  let launchedPid: number | undefined;
  try {
    await createOverlay(cfg.qemuImgBinary, image.disk, paths.disk);
    const launched = launchQemu(cfg.qemuBinary, buildQemuArgs(spec), paths.qemuLog);
    launchedPid = launched.pid;
    const death = deathOf(launched, paths.qemuLog, 'KVM probe');
    death.catch(() => undefined);
    const ga = await Promise.race([GuestAgent.connect(spec.qgaSocket, cfg.kvmProbeMs), death]);
    ga.close();
    const bootMs = Date.now() - t0;
    return { accel: 'kvm', reason: `tiny VM booted under KVM in ${bootMs} ms`, bootMs };
  } catch (err) {
    const why = (err as Error).message.slice(0, 300) || qemuStderr(paths.qemuLog);
    return { accel: 'tcg', reason: `KVM probe failed, falling back to TCG: ${why}` };
  } finally {
    if (launchedPid !== undefined) await killVm(launchedPid, id);
    rmSync(paths.dir, { recursive: true, force: true });
    rmSync(ram, { force: true });
  }
}
