/**
 * Where a host's CPU time went during a bench phase, from /proc: the whole host's busy time and
 * each living process's user + system time, grouped by what the process is. A miss then says
 * who took the CPU (the VMs, the browser, the product, the bench itself).
 */
import * as fs from 'fs';

/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux builds that matter here). */
const CLK_TCK = 100;

/** CPU seconds a process has used (user + system). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
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
  if (comm.startsWith('qemu-system')) return 'vms';
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
