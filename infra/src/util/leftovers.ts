// What a test run leaves behind. `watch` samples, every second while the run lasts, the
// processes descending from the run (or carrying its FORKDESK_TEST_RUN in their environment, or
// naming one of its directories), the network namespaces they entered, the /dev/shm, /var/tmp
// and /var/lib/forkdesk directories they named, opened, worked in or were named after, and the
// ports they listened on; `check` then names each of those still there. Only
// what this run's processes touched counts: other checkouts on the machine are not ours.
import { execFileSync } from 'child_process';
import {
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'fs';
import { basename, join } from 'path';

export interface Seen {
  rootPid: number;
  runId: string;
  startedAt: number;
  /** pid → "starttime command" as first seen. */
  processes: Record<string, { start: string; cmd: string; ports: string[] }>;
  namespaces: Record<string, string>;
  dirs: string[];
  /** Directories there before the run (caches it reads, other runs'): never its leftovers. */
  before?: string[];
}

/** The /dev/shm, /var/tmp and /var/lib/forkdesk entries that exist now. */
export function topDirs(): string[] {
  return ['/dev/shm', '/var/tmp', '/var/lib/forkdesk'].flatMap((d) =>
    existsSync(d) ? readdirSync(d).map((n) => join(d, n)) : [],
  );
}

const TOP_DIR = /^(\/dev\/shm|\/var\/tmp|\/var\/lib\/forkdesk)\/[^/\0 ]+/;
/** Under /var/lib/forkdesk: checkouts' own service dirs and the users' homes are not a run's. */
const NOT_A_RUNS = /^\/var\/lib\/forkdesk\/([0-9a-f]{12}|homes)$/;
/** Caches kept across runs on purpose (the NAT tests' guest image). */
const KEPT = /^\/var\/tmp\/forkdesk-netimage-/;

const read = (p: string): string | undefined => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), the parent pid and the state. */
function stat(pid: string): { ppid: number; start: string; state: string } | undefined {
  const s = read(`/proc/${pid}/stat`);
  if (!s) return undefined;
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(rest[1]), start: rest[19], state: rest[0] };
}

/** Listening TCP sockets by inode, as "addr:port". */
function listeningSockets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (read(f) ?? '').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c[3] !== '0A') continue; // LISTEN
      const [, port] = c[1].split(':');
      out.set(c[9], `port ${parseInt(port, 16)}`);
    }
  }
  return out;
}

function netnsByInode(): Map<number, string> {
  const m = new Map<number, string>();
  if (!existsSync('/run/netns')) return m;
  for (const n of readdirSync('/run/netns')) {
    try {
      m.set(statSync(join('/run/netns', n)).ino, n);
    } catch {
      // removed meanwhile
    }
  }
  return m;
}

/** One sample of everything the run's processes hold right now, merged into `seen`. */
export function sample(seen: Seen, ignore: (cmd: string) => boolean): void {
  const parents = new Map<string, number>();
  const pids = readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n));
  for (const p of pids) {
    const s = stat(p);
    if (s) parents.set(p, s.ppid);
  }
  const ours = (pid: string, environ: string, argv: string[]): boolean => {
    for (let p: number | undefined = Number(pid), n = 0; p && n < 64; n++) {
      if (p === seen.rootPid) return true;
      p = parents.get(String(p));
    }
    if (environ.includes(`FORKDESK_TEST_RUN=${seen.runId}\0`)) return true;
    // A VM gets a minimal environment and outlives a killed parent: its command line naming
    // one of the run's directories (its memory file, its images) makes it the run's.
    return argv.some((word) => seen.dirs.some((d) => word.includes(`${d}/`)));
  };
  const sockets = listeningSockets();
  const netns = netnsByInode();
  // Directories named after one of the run's processes (`forkdesk-natint-<pid>`), new since
  // the run began, are its own even before anything holds them open.
  for (const d of topDirs()) {
    const pid = /-([0-9]+)$/.exec(d)?.[1];
    if (pid && seen.processes[pid]) note(seen, d);
  }
  for (const p of pids) {
    if (Number(p) === process.pid || Number(p) === seen.rootPid) continue;
    const environ = read(`/proc/${p}/environ`) ?? '';
    const argv = (read(`/proc/${p}/cmdline`) ?? '').split('\0');
    if (!ours(p, environ, argv)) continue;
    const s = stat(p);
    const cmd = argv.join(' ').trim().slice(0, 400);
    if (!s || !cmd || ignore(cmd)) continue;
    const entry = (seen.processes[p] ??= { start: s.start, cmd, ports: [] });
    if (entry.start !== s.start) continue; // pid reused
    const targets: string[] = [cmd];
    try {
      targets.push(readlinkSync(`/proc/${p}/cwd`));
    } catch {
      // gone
    }
    // Data dirs handed over in the environment (an agent's FORKDESK_DATA_DIR, …).
    for (const kv of environ.split('\0'))
      if (/^FORKDESK_[A-Z_]*DIR=/.test(kv)) targets.push(kv.slice(kv.indexOf('=') + 1));
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      // gone, or not ours to read
    }
    for (const fd of fds) {
      let t: string;
      try {
        t = readlinkSync(`/proc/${p}/fd/${fd}`);
      } catch {
        continue;
      }
      const sock = /^socket:\[([0-9]+)\]$/.exec(t);
      const port = sock && sockets.get(sock[1]);
      if (port && !entry.ports.includes(port)) entry.ports.push(port);
      targets.push(t);
    }
    for (const t of targets)
      for (const word of t.split(/[\s=,:]+/)) {
        const m = TOP_DIR.exec(word);
        if (m) note(seen, m[0]);
      }
    try {
      const ino = statSync(`/proc/${p}/ns/net`).ino;
      const name = netns.get(ino);
      if (name) seen.namespaces[name] = String(ino);
    } catch {
      // gone
    }
  }
}

/** Records `dir` as the run's, unless it predates the run or is kept on purpose. */
function note(seen: Seen, dir: string): void {
  if (KEPT.test(dir) || NOT_A_RUNS.test(dir) || seen.dirs.includes(dir)) return;
  if (seen.before?.includes(dir)) return;
  seen.dirs.push(dir);
}

/** Still that process, and not a zombie waiting for its parent. */
const alive = (pid: string, start: string): boolean => {
  const s = stat(pid);
  return s !== undefined && s.start === start && s.state !== 'Z' && s.state !== 'X';
};

/** Every leftover, one line each; empty when the run cleaned up after itself. */
export function leftovers(seen: Seen, existing: (dir: string) => boolean = existsSync): string[] {
  const out: string[] = [];
  for (const [pid, p] of Object.entries(seen.processes)) {
    if (!alive(pid, p.start)) continue;
    out.push(`process ${pid}${p.ports.length ? ` (${p.ports.join(', ')})` : ''}: ${p.cmd}`);
  }
  const netns = new Set(existsSync('/run/netns') ? readdirSync('/run/netns') : []);
  for (const n of Object.keys(seen.namespaces))
    if (netns.has(n)) out.push(`network namespace ${n} (with its links and nftables tables)`);
  for (const d of seen.dirs) if (existing(d)) out.push(`directory ${d}`);
  return out;
}

/**
 * Removes what `leftovers` names, for a run that was killed before its teardowns ran: the
 * processes (SIGTERM, 5 s, then SIGKILL), the namespaces, and the directories of the project
 * (forkdesk-*, and the test stacks' e2e-* / mh-*; anything else it only names). The lines of what it removed.
 */
export async function reap(seen: Seen): Promise<string[]> {
  const done: string[] = [];
  const live = Object.entries(seen.processes).filter(([pid, p]) => alive(pid, p.start));
  for (const [pid] of live) signal(Number(pid), 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (live.some(([pid, p]) => alive(pid, p.start)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  for (const [pid, p] of live) {
    if (alive(pid, p.start)) signal(Number(pid), 'SIGKILL');
    done.push(`process ${pid}: ${p.cmd}`);
  }
  const netns = new Set(existsSync('/run/netns') ? readdirSync('/run/netns') : []);
  for (const n of Object.keys(seen.namespaces)) {
    if (!netns.has(n)) continue;
    execFileSync('ip', ['netns', 'delete', n]);
    done.push(`network namespace ${n}`);
  }
  for (const d of seen.dirs) {
    if (!existsSync(d) || !/^(forkdesk-|e2e-|mh-)/.test(basename(d))) continue;
    rmSync(d, { recursive: true, force: true });
    done.push(`directory ${d}`);
  }
  return done;
}

const signal = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(pid, sig);
  } catch {
    // gone meanwhile
  }
};

/** Written whole (a reader never sees half a file). */
export function saveSeen(file: string, seen: Seen): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(seen));
  renameSync(`${file}.tmp`, file);
}
