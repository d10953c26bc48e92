/**
 * Where a host's CPU time went during a bench phase, from /proc: the whole host's busy time and
 * each living process's user + system time, grouped by what the process is. A miss then says
 * who took the CPU (the VMs, the browser, the product, the bench itself).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CPU_WEIGHTS, ownCgroupPath } from '@forkdesk/hypervisor-agent/testing';

/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux builds that matter here). */
const CLK_TCK = 100;

/** The fields of /proc/<pid>/stat after the command name (field 3, the state, first). */
function statFields(pid: number | string): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds a process has used (user + system). */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** CPU seconds the whole host has been busy (all cores). */
export function hostBusySeconds(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLK_TCK;
}

/** What a process is, for the tally: a VM, the browser, PostgreSQL, a part of the product. */
function groupOf(comm: string, cmdline: string): string {
  // QEMU names its VMs' processes (`-name …,process=fd-<vm id>`).
  if (comm.startsWith('qemu-system') || comm.startsWith('fd-')) return 'vms';
  if (/chrom/i.test(comm)) return 'chromium';
  if (comm.startsWith('postgres')) return 'postgres';
  if (comm === 'node' || comm.startsWith('node')) {
    if (cmdline.includes('broker/')) return 'broker';
    if (cmdline.includes('hypervisor-agent/')) return 'agent';
    if (cmdline.includes('test/bench/') || cmdline.includes('tsx')) return 'bench';
    return 'node (other)';
  }
  return 'other';
}

export interface CpuSnapshot {
  host: number;
  byPid: Map<number, { group: string; s: number }>;
}

export function cpuSnapshot(): CpuSnapshot {
  const byPid = new Map<number, { group: string; s: number }>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      byPid.set(pid, { group: groupOf(comm, cmdline), s: cpuSeconds(pid) });
    } catch {
      // exited meanwhile
    }
  }
  return { host: hostBusySeconds(), byPid };
}

/**
 * CPU seconds from `before` to now: the host's busy time and each group's share (a process
 * that started meanwhile counts from zero; one that ended is missing, so the groups may sum to
 * less than the host).
 */
export function cpuSince(before: CpuSnapshot): Record<string, number> {
  const now = cpuSnapshot();
  const out: Record<string, number> = { host: now.host - before.host };
  for (const [pid, p] of now.byPid) {
    const was = before.byPid.get(pid);
    const used = p.s - (was && was.group === p.group ? was.s : 0);
    out[p.group] = (out[p.group] ?? 0) + used;
  }
  for (const k of Object.keys(out)) out[k] = Math.round(out[k]! * 10) / 10;
  return out;
}

/** The process and all its descendants, from /proc (parent links). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const ppid = Number(statFields(name)[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** A CPU group for the bench's browsers beside this process's own, or why there is none. */
function browserGroup(): { dir: string; procs: string } | string {
  const self = fs.readFileSync('/proc/self/cgroup', 'utf8');
  const v1 = ownCgroupPath(self, 'cpu');
  const v2 = ownCgroupPath(self, 'v2');
  const name = `forkdesk-bench-browser-${process.pid}`;
  // Weighted as one desktop VM, as the agent weighs them.
  const { v1: shares, v2: weight } = CPU_WEIGHTS.desktop;
  const make = (root: string, own: string, file: string, value: number) => {
    const dir = path.join(root, own, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, file), String(value));
    return { dir, procs: path.join(dir, 'cgroup.procs') };
  };
  try {
    if (v1 !== undefined && fs.existsSync('/sys/fs/cgroup/cpu/cpu.shares'))
      return make('/sys/fs/cgroup/cpu', v1, 'cpu.shares', shares);
    if (v2 !== undefined && fs.existsSync('/sys/fs/cgroup/cgroup.controllers'))
      return make('/sys/fs/cgroup', v2, 'cpu.weight', weight);
    return 'no CPU cgroup controller';
  } catch (err) {
    return (err as Error).message;
  }
}

let browsers: { dir: string; procs: string } | string | undefined;

/**
 * Moves the browsers this process started (all their threads) into a CPU group of their own,
 * weighted like one desktop VM, again each time it is called (new pages are new processes).
 * A bench's browser stands in for users' browsers, which run on their own machines: on the
 * server it must not outbid the VMs and the product it measures. (The stack's broker, agent
 * and VMs are this process's children too: left alone.) Returns why not, when it cannot.
 */
export function yieldBrowsersCpu(): string | undefined {
  browsers ??= browserGroup();
  if (typeof browsers === 'string') return browsers;
  for (const pid of processTree(process.pid)) {
    try {
      if (!/chrom/i.test(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'))) continue;
      fs.writeFileSync(browsers.procs, String(pid));
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

/** Removes the browsers' CPU group (once they have exited). */
export function releaseBrowsersCpu(): void {
  try {
    if (browsers && typeof browsers !== 'string') fs.rmdirSync(browsers.dir);
  } catch {
    // a process still in it: the kernel keeps the group until it exits
  }
  browsers = undefined;
}
