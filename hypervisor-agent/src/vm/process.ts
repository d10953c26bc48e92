// Starting, watching and ending QEMU processes. Each runs in its own session (detached), with
// stdout/stderr in a file, so it outlives the agent and can be re-adopted by pid.
import { spawn } from 'child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'fs';

export interface Launched {
  pid: number;
  /** Settles when the process exits, while this agent is its parent. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * All a QEMU process gets of an environment. The agent's own holds the database URL and the
 * enrollment token; a guest that escaped into QEMU could read them from /proc/<pid>/environ.
 */
export const QEMU_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL: 'C.UTF-8',
});

export function launchQemu(binary: string, args: string[], logFile: string): Launched {
  const fd = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(binary, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...QEMU_ENVIRONMENT },
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
        child.once('error', () => resolve({ code: -1, signal: null }));
      },
    );
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    child.unref();
    return { pid: child.pid, exited };
  } finally {
    closeSync(fd);
  }
}

/** True when `pid` is alive (not a zombie: one the agent started stays so until reaped). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** True when `pid` is alive (not a zombie) and is QEMU for VM `id`. */
export function isVmProcess(pid: number, id: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(`${id},process=fd-${id}`);
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGKILLs the VM's process (if it is still that VM) and waits until it is gone. */
export async function killVm(pid: number, id: string, timeoutMs = 5000): Promise<void> {
  if (!isVmProcess(pid, id)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isVmProcess(pid, id)) {
    if (Date.now() > deadline)
      throw new Error(`QEMU pid ${pid} (${id}) did not exit after SIGKILL`);
    await sleep(5);
  }
  // Our own child stays a zombie until Node reaps it (asynchronously): give it a moment so
  // callers see the pid gone.
  const reapBy = Date.now() + 1000;
  while (existsSync(`/proc/${pid}`) && Date.now() < reapBy) await sleep(5);
}

/**
 * The last resort of a teardown: every QEMU whose command line names `dir` (a data or shm dir)
 * gets SIGKILL, waited for up to `timeoutMs`. The ids of the VMs it found.
 */
export async function killVmsUnder(dir: string, timeoutMs = 5000): Promise<string[]> {
  const found: { pid: number; id: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const tag = argv.find((a) => /,process=fd-/.test(a));
      if (tag && argv.some((a) => a.includes(`${dir}/`)))
        found.push({ pid: Number(name), id: tag.slice(0, tag.indexOf(',')) });
    } catch {
      // gone meanwhile
    }
  }
  await Promise.all(found.map((v) => killVm(v.pid, v.id, timeoutMs)));
  return found.map((v) => v.id);
}

/** Waits until the process is gone (e.g. after QMP `quit` or a finished outgoing migration). */
export async function waitExit(pid: number, id: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isVmProcess(pid, id)) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

/** QEMU's own error text (the last lines of its log), for error messages. */
export function qemuStderr(logFile: string, maxBytes = 4000): string {
  if (!existsSync(logFile)) return '';
  const size = statSync(logFile).size;
  const text = readFileSync(logFile, 'utf8');
  return (size > maxBytes ? text.slice(-maxBytes) : text).trim();
}
