// Desktops of checkouts that no longer exist: each checkout's service dir
// (/var/lib/forkdesk/<key>) names its checkout in a `checkout` file; when that checkout is gone,
// its QEMU processes, PostgreSQL and files are orphans nobody will ever stop. `npm run up` lists
// them, `npm run down -- --all-orphans` removes them.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { repoRoot } from './paths';

export const CHECKOUT_FILE = 'checkout';
const BASE = '/var/lib/forkdesk';

export interface Orphan {
  serviceDir: string;
  checkout: string;
  /** Processes (QEMU, PostgreSQL) whose command line names the service dir. */
  pids: number[];
}

/** Ties `serviceDir` to this checkout (written by `service-dir`). */
export function markCheckout(serviceDir: string): void {
  const file = join(serviceDir, CHECKOUT_FILE);
  if (!existsSync(serviceDir)) return;
  if (!existsSync(file) || readFileSync(file, 'utf8').trim() !== repoRoot())
    writeFileSync(file, `${repoRoot()}\n`);
}

/** PIDs whose command line mentions `needle`, from /proc (`procDir` for tests). */
export function pidsMentioning(needle: string, procDir = '/proc'): number[] {
  const pids: number[] = [];
  for (const name of readdirSync(procDir)) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(join(procDir, name, 'cmdline'), 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Service dirs under `base` whose checkout no longer exists. */
export function findOrphans(base = BASE, procDir = '/proc'): Orphan[] {
  if (!existsSync(base)) return [];
  const out: Orphan[] = [];
  for (const name of readdirSync(base)) {
    const serviceDir = join(base, name);
    let checkout: string;
    try {
      checkout = readFileSync(join(serviceDir, CHECKOUT_FILE), 'utf8').trim();
    } catch {
      continue; // not marked: not a checkout's dir (a test's, or from an older version)
    }
    if (existsSync(join(checkout, 'package.json'))) continue;
    out.push({ serviceDir, checkout, pids: pidsMentioning(`${serviceDir}/`, procDir) });
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM, up to `graceMs` to exit, then SIGKILL; resolves to the PIDs that were killed hard. */
export async function stopProcesses(pids: number[], graceMs = 5_000): Promise<number[]> {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const hard = pids.filter(alive);
  for (const p of hard) process.kill(p, 'SIGKILL');
  return hard;
}

/** Stops an orphan's processes and removes its files (service dir, shared memory). */
export async function removeOrphan(o: Orphan): Promise<void> {
  await stopProcesses(o.pids);
  rmSync(join('/dev/shm', `forkdesk-${o.serviceDir.split('/').pop()}`), {
    recursive: true,
    force: true,
  });
  rmSync(o.serviceDir, { recursive: true, force: true });
}
