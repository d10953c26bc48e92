// One child's life from a template: prepare (QEMU started paused, waiting for its state) and
// complete (load the template's device state, continue, guest agent answers). A warm fork
// prepared earlier only does the second half.
import { ChildState } from '@forkdesk/agent-contract';
import { randomBytes, randomUUID } from 'crypto';
import { copyFileSync, rmSync } from 'fs';
import { join } from 'path';
import { ForkError } from '../engine/errors';
import { GuestAgent } from '../guest/client';
import type { CpuWeights } from '../cpu/cpu-weights';
import { Cgroups, setOomScoreAdj } from '../memory/cgroup';
import { connectQmp, JsonChannel } from '../qmp/client';
import { setIgnoreShared, waitMigration } from '../templates/freeze';
import { TemplateRecord } from '../templates/template';
import { buildQemuArgs, VmSpec } from '../vm/args';
import { deathOf } from '../vm/boot';
import { makeVmDir, UserIds, vmChannels, vmPaths } from '../vm/layout';
import { killVm, Launched, launchQemu } from '../vm/process';
import { writeJsonAtomic } from '../vm/state-file';
import { NS_TAP } from '../network/addressing';
import { NatLease, NatNetworks } from '../network/nat-network';

/** What is stored in <dataDir>/vms/<id>/vm.json: enough to re-adopt the VM after a restart. */
export interface VmRecord {
  id: string;
  /** child: forked; warm: prepared, not yet forked; source: booted with its own shared RAM. */
  kind: 'child' | 'warm' | 'source';
  templateId?: string;
  imageVersion?: string;
  pid: number;
  spec: VmSpec;
  dir: string;
  state: ChildState;
  createdAt: string;
  forkMs: number;
  warm: boolean;
  /** A NAT desktop's namespace and transit link; absent: no network (slirp restrict=on). */
  network?: NatLease;
  /** The CPU limit its cgroup applies, in percent of one core; absent: none. */
  cpuLimitPercent?: number;
}

/** The record of a VM just launched: starting, neither forked nor warm yet. */
export function startingRecord(
  r: Omit<VmRecord, 'state' | 'createdAt' | 'forkMs' | 'warm'>,
): VmRecord {
  return { ...r, state: 'starting', createdAt: new Date().toISOString(), forkMs: 0, warm: false };
}

export interface ChildEnv {
  qemuBinary: string;
  vmsDir: string;
  user: UserIds | undefined;
  cgroups: Cgroups;
  cgroupOverheadMiB: number;
  cpu: CpuWeights;
  /** VMs are the OOM killer's first choice, before the agent. */
  oomScoreAdj: number;
  nat: NatNetworks;
}

export interface PreparedChild {
  record: VmRecord;
  qmp: JsonChannel;
  /** Connected before the guest runs (see GuestAgent.open). */
  ga: GuestAgent;
  launched: Launched;
  death: Promise<never>;
}

export function newVmId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export function saveRecord(r: VmRecord): void {
  writeJsonAtomic(join(r.dir, 'vm.json'), r);
}

/**
 * Starts the child's QEMU paused (`-incoming defer`) on a fresh delta; QMP ready. A NAT child
 * first gets its network namespace, and its QEMU is started inside it.
 */
export async function prepareChild(
  env: ChildEnv,
  t: TemplateRecord,
  id = newVmId('c'),
  nat = false,
): Promise<PreparedChild> {
  const paths = vmPaths(join(env.vmsDir, id));
  makeVmDir(paths.dir, env.user);
  copyFileSync(t.deltaProto, paths.disk);
  const spec: VmSpec = {
    ...t.spec,
    id,
    ram: { kind: 'frozen', path: t.ramFile },
    disk: paths.disk,
    vmgenid: randomUUID(),
    ...vmChannels(paths),
    incoming: true,
  };
  let launched: Launched | undefined;
  let network: NatLease | undefined;
  try {
    if (nat) {
      network = await env.nat.setup(id, paths.dir);
      spec.tap = NS_TAP;
    }
    const argv = [env.qemuBinary, ...buildQemuArgs(spec)];
    const [bin = env.qemuBinary, ...args] = network ? env.nat.launchArgv(network, argv) : argv;
    launched = launchQemu(bin, args, paths.qemuLog);
    const record = startingRecord({
      id,
      kind: 'warm',
      templateId: t.id,
      imageVersion: t.imageVersion,
      pid: launched.pid,
      spec,
      dir: paths.dir,
      ...(network ? { network } : {}),
    });
    // Twice the guest RAM: a guest page the template never touched is a hole in the frozen RAM
    // file, and the child's first write to it charges this cgroup for a new (zero) page of that
    // shared file as well as for its private copy. At 1x, a desktop using its RAM is OOM-killed.
    env.cgroups.place(id, launched.pid, 2 * t.shape.memoryMiB + env.cgroupOverheadMiB);
    env.cpu.place(id, launched.pid, 'spare');
    setOomScoreAdj(launched.pid, env.oomScoreAdj);
    saveRecord(record);
    const death = deathOf(launched, paths.qemuLog, `fork of ${id}`);
    death.catch(() => undefined);
    const qmp = await Promise.race([connectQmp(paths.qmpSocket, { retryMs: 10_000 }), death]);
    await setIgnoreShared(qmp);
    const ga = await GuestAgent.open(spec.qgaSocket, 5000);
    return { record, qmp, ga, launched, death };
  } catch (err) {
    if (launched) await killVm(launched.pid, id);
    if (network) await env.nat.teardown(network);
    rmSync(paths.dir, { recursive: true, force: true });
    throw new ForkError(`fork of ${id} from template ${t.id} failed: ${(err as Error).message}`);
  }
}

/** Caps a new child's CPU for its life; recorded (and reported) only when the cgroup took it. */
export function limitChildCpu(cpu: CpuWeights, r: VmRecord, percent: number | undefined): void {
  if (percent === undefined || !cpu.limit(r.id, percent)) return;
  r.cpuLimitPercent = percent;
  saveRecord(r);
}

export interface ForkedChild {
  record: VmRecord;
  /** The child's guest agent, kept connected. */
  ga: GuestAgent;
}

/** Loads the device state, continues, and waits for the guest agent. Cleans up on failure. */
export async function completeChild(
  env: ChildEnv,
  t: TemplateRecord,
  p: PreparedChild,
  startedAt: number,
  timeoutMs = 30_000,
): Promise<ForkedChild> {
  const { record, qmp } = p;
  try {
    await Promise.race([
      (async () => {
        await qmp.execute('migrate-incoming', { uri: `file:${t.stateFile}` });
        await waitMigration(qmp, 'device state load', timeoutMs);
        await qmp.execute('cont');
      })(),
      p.death,
    ]);
    // The channel is new (opened before the guest ran): no stale answers to flush, a ping will do.
    await Promise.race([p.ga.ping(timeoutMs), p.death]);
    record.kind = 'child';
    record.state = 'running';
    record.forkMs = Date.now() - startedAt;
    saveRecord(record);
    return { record, ga: p.ga };
  } catch (err) {
    p.ga.close();
    await destroyVmFiles(env, record);
    throw new ForkError(
      `fork of ${record.id} from template ${t.id} failed: ${(err as Error).message}`,
    );
  } finally {
    qmp.close();
  }
}

export async function destroyVmFiles(env: ChildEnv, r: VmRecord): Promise<void> {
  await killVm(r.pid, r.id);
  if (r.network) await env.nat.teardown(r.network);
  rmSync(r.dir, { recursive: true, force: true });
  await env.cgroups.remove(r.id);
  await env.cpu.remove(r.id);
}
