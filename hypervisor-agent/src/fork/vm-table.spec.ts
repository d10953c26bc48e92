import { CpuWeights } from '../cpu/cpu-weights';
import { spawn, type ChildProcess } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ConflictError, NotFoundError } from '../engine/errors';
import { Cgroups, detectCgroups } from '../memory/cgroup';
import { SystemNetCommands } from '../network/commands';
import { NatNetworks } from '../network/nat-network';
import { vmPaths } from '../vm/layout';
import type { VmRecord } from './child';
import { VmTable } from './vm-table';

let vmsDir: string;
let table: VmTable;
const running: ChildProcess[] = [];

/**
 * A process that passes for VM `id`: its command line names it as QEMU's -name does (tail keeps
 * following /dev/null past the missing second file; one process, nothing left once killed).
 */
function fakeQemu(id: string): ChildProcess {
  const p = spawn('tail', ['-f', '/dev/null', `${id},process=fd-${id}`], { stdio: 'ignore' });
  running.push(p);
  return p;
}

function record(id: string, kind: VmRecord['kind'], pid: number, templateId = 't-a'): VmRecord {
  const paths = vmPaths(join(vmsDir, id));
  mkdirSync(paths.dir, { recursive: true });
  const rec: VmRecord = {
    id,
    kind,
    templateId,
    pid,
    spec: { qmpSocket: paths.qmpSocket, qgaSocket: paths.qgaSocket, vncSocket: paths.vncSocket },
    dir: paths.dir,
    state: 'running',
    createdAt: new Date(0).toISOString(),
    forkMs: 100,
    warm: false,
  } as VmRecord;
  writeFileSync(paths.record, JSON.stringify(rec));
  return rec;
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  vmsDir = mkdtempSync(join(tmpdir(), 'forkdesk-vmtable-'));
  table = new VmTable({
    qemuBinary: 'qemu-system-x86_64',
    vmsDir,
    user: undefined,
    cgroups: new Cgroups(detectCgroups(), 'vmtable-spec'),
    cgroupOverheadMiB: 0,
    cpu: new CpuWeights({ kind: 'none', reason: 'the table spec starts no VM' }, 'vmtable-spec'),
    oomScoreAdj: 0,
    nat: new NatNetworks(
      { transitSubnet: '100.127.0.0/16', tag: 'spec', dhcpLeaseS: 3600 },
      new SystemNetCommands(),
    ),
  });
});

afterEach(() => {
  for (const p of running.splice(0)) p.kill('SIGKILL');
  rmSync(vmsDir, { recursive: true, force: true });
});

describe('VmTable', () => {
  it('lists children and running VMs, not warm ones, and says which are dead', async () => {
    const live = fakeQemu('c-live');
    await wait(100);
    table.add(record('c-live', 'child', live.pid!));
    table.add(record('c-dead', 'child', 999_999));
    table.add(record('w-1', 'warm', 999_998));
    table.add(record('v-1', 'source', 999_997, ''));
    expect(table.list().map((c) => [c.id, c.state])).toEqual([
      ['c-live', 'running'],
      ['c-dead', 'dead'],
      ['v-1', 'dead'],
    ]);
    expect(table.childrenOf('t-a')).toBe(2);
    expect(table.info('w-1')).toBeUndefined();
    expect(() => table.require('nope')).toThrow(NotFoundError);
    expect(() => table.require('w-1')).toThrow(NotFoundError);
    expect(() => table.require('c-dead')).toThrow(new ConflictError('VM c-dead is not running'));
    expect(table.require('c-live').id).toBe('c-live');
  });

  it('re-adopts a living VM and removes the dead, the warm and the unreadable', async () => {
    const live = fakeQemu('c-live');
    const warm = fakeQemu('w-1');
    await wait(100);
    record('c-live', 'child', live.pid!);
    record('w-1', 'warm', warm.pid!);
    record('c-dead', 'child', 999_999);
    mkdirSync(join(vmsDir, 'c-norecord'));
    await table.adopt();
    expect([...table.ids()]).toEqual(['c-live']);
    for (const gone of ['w-1', 'c-dead', 'c-norecord'])
      expect(existsSync(join(vmsDir, gone))).toBe(false);
    // The warm VM was killed, not only forgotten.
    await wait(200);
    expect(warm.exitCode !== null || warm.signalCode !== null).toBe(true);

    await table.destroy('c-live');
    expect(table.ids().size).toBe(0);
    expect(existsSync(join(vmsDir, 'c-live'))).toBe(false);
    await expect(table.destroy('c-live')).rejects.toThrow(NotFoundError);
  });

  it('reaps a child whose QEMU died once seen dead twice, not a held or warm one', async () => {
    const a = fakeQemu('c-a');
    const held = fakeQemu('c-held');
    await wait(100);
    table.add(record('c-a', 'child', a.pid!));
    table.add(record('c-held', 'child', held.pid!));
    table.add(record('w-1', 'warm', 999_998));
    expect(await table.reapDead()).toEqual([]);
    a.kill('SIGKILL');
    held.kill('SIGKILL');
    await wait(100);
    let release = (): void => undefined;
    const holding = table.hold('c-held', () => new Promise<void>((r) => (release = r)));
    expect(await table.reapDead()).toEqual([]); // seen dead once: it may be stopping on purpose
    expect(existsSync(join(vmsDir, 'c-a'))).toBe(true);
    expect(await table.reapDead()).toEqual(['c-a']);
    expect(existsSync(join(vmsDir, 'c-a'))).toBe(false);
    expect([...table.ids()].sort()).toEqual(['c-held', 'w-1']);
    release();
    await holding;
    expect(await table.reapDead()).toEqual([]);
    expect(await table.reapDead()).toEqual(['c-held']);
  });
});
