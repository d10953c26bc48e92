// The system commands NAT networking needs (iproute2, nftables, sysctl), behind one
// interface so the orchestration can be unit-tested with a recording fake.
import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import { isAlive, launchQemu } from '../vm/process';

export interface NetCommands {
  addNetns(name: string): Promise<void>;
  /** Removes the namespace's name; a missing one is not an error. */
  deleteNetns(name: string): Promise<void>;
  listNetns(): Promise<string[]>;
  /** `ip -batch -` in the host's namespace, or in `netns`. */
  ipBatch(lines: string[], netns?: string): Promise<void>;
  /** `nft -f -` in the host's namespace, or in `netns`. */
  nft(script: string, netns?: string): Promise<void>;
  sysctl(key: string, value: string, netns?: string): Promise<void>;
  /** Every IPv4 address configured in the host's namespace. */
  hostIpv4Addrs(): Promise<Set<string>>;
  /** Starts a long-lived program in its own session (it outlives the agent, like QEMU). */
  startDaemon(argv: string[], logFile: string): void;
  /** Whether a process whose command line has `name` and `arg` runs in `netns`. */
  daemonRuns(netns: string, name: string, arg: string): Promise<boolean>;
  /** SIGKILLs the processes in `netns` whose command line has `name`; waits until gone. */
  killDaemons(netns: string, name: string): Promise<void>;
}

export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

/** argv prefix that runs a command inside `netns` (nsenter execs it: the pid stays). */
export function inNetns(netns: string, argv: string[]): string[] {
  return ['nsenter', `--net=${netnsPath(netns)}`, '--', ...argv];
}

function exec(argv: string[], input?: string): Promise<string> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.once('error', (e) =>
      reject(new Error(`${cmd} could not run: ${e.message} (is its package installed?)`)),
    );
    child.once('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString());
      const text = Buffer.concat(err).toString().trim().slice(0, 2000);
      reject(new Error(`${argv.slice(0, 4).join(' ')} failed (exit ${code}): ${text}`));
    });
    // A command that exits without reading its input fails on its exit status, not on EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** The real commands, as root. */
export class SystemNetCommands implements NetCommands {
  async addNetns(name: string): Promise<void> {
    await exec(['ip', 'netns', 'add', name]);
  }

  async deleteNetns(name: string): Promise<void> {
    if (!(await this.listNetns()).includes(name)) return;
    await exec(['ip', 'netns', 'delete', name]);
  }

  async listNetns(): Promise<string[]> {
    const out = await exec(['ip', 'netns', 'list']);
    return out
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter(Boolean);
  }

  async ipBatch(lines: string[], netns?: string): Promise<void> {
    await exec(['ip', ...(netns ? ['-n', netns] : []), '-batch', '-'], lines.join('\n') + '\n');
  }

  async nft(script: string, netns?: string): Promise<void> {
    const argv = ['nft', '-f', '-'];
    await exec(netns ? inNetns(netns, argv) : argv, script);
  }

  async sysctl(key: string, value: string, netns?: string): Promise<void> {
    const argv = ['sysctl', '-qw', `${key}=${value}`];
    await exec(netns ? inNetns(netns, argv) : argv);
  }

  async hostIpv4Addrs(): Promise<Set<string>> {
    const out = await exec(['ip', '-4', '-o', 'addr', 'show']);
    const addrs = new Set<string>();
    for (const m of out.matchAll(/\binet ([0-9.]+)\//g)) if (m[1]) addrs.add(m[1]);
    return addrs;
  }

  startDaemon(argv: string[], logFile: string): void {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty command');
    // Started the way QEMU is: detached, its output in a file, QEMU's small environment.
    launchQemu(cmd, args, logFile);
  }

  async daemonRuns(netns: string, name: string, arg: string): Promise<boolean> {
    return (await this.daemonsIn(netns, name)).some((p) => p.argv.includes(arg));
  }

  async killDaemons(netns: string, name: string): Promise<void> {
    const pids = (await this.daemonsIn(netns, name)).map((p) => p.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    const deadline = Date.now() + 5000;
    while (pids.some(isAlive)) {
      if (Date.now() > deadline) throw new Error(`${name} in ${netns} did not exit after SIGKILL`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private async daemonsIn(netns: string, name: string): Promise<{ pid: number; argv: string[] }[]> {
    if (!(await this.listNetns()).includes(netns)) return [];
    const out = await exec(['ip', 'netns', 'pids', netns]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ pid: Number(l), argv: cmdline(Number(l)) }))
      .filter((p) => p.argv.includes(name));
  }
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}
