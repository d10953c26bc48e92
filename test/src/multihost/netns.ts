/**
 * Test hosts on one machine: a bridge in the root network namespace (the brokers' side) and
 * one network namespace per host, joined to the bridge by a veth pair, loopback up. Names carry
 * a run id (`fd-mh-<run>-<n>`, links `fdmh<run>…`) so leftovers of an earlier run are found
 * and removed. Needs root and iproute2.
 *
 * Processes enter a host with `nsenter --net=/run/netns/<ns>` rather than `ip netns exec`:
 * the latter also remounts /sys, which hides /sys/fs/cgroup from the agent (child cgroups).
 */
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';

const NS_PREFIX = 'fd-mh-';
const LINK_PREFIX = 'fdmh';

const ip = (...args: string[]): string =>
  execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const tryIp = (...args: string[]): void => {
  try {
    ip(...args);
  } catch {
    // already gone
  }
};

export interface TestHost {
  /** Network namespace name. */
  ns: string;
  /** The host's address on the bridge. */
  address: string;
  /** Prefix for a command to run inside the host's network namespace. */
  enter: string[];
}

/** Kills every process in a namespace (SIGKILL) and waits until none is left. */
function killAll(ns: string): number[] {
  const pids = (): number[] =>
    ip('netns', 'pids', ns)
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((p) => p !== process.pid);
  const killed = pids();
  for (let round = 0; round < 50; round++) {
    const left = pids();
    if (left.length === 0) return killed;
    for (const p of left) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    execFileSync('sleep', ['0.1']);
  }
  throw new Error(`processes in ${ns} survive SIGKILL: ${pids().join(' ')}`);
}

/** Namespaces and links of earlier runs (a crashed run cannot clean up after itself). */
export function removeStaleHosts(): string[] {
  const removed: string[] = [];
  for (const line of ip('netns', 'list').split('\n')) {
    const ns = line.split(' ')[0];
    if (!ns.startsWith(NS_PREFIX)) continue;
    killAll(ns);
    tryIp('netns', 'del', ns);
    removed.push(ns);
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name?.startsWith(LINK_PREFIX)) {
      tryIp('link', 'del', name);
      removed.push(name);
    }
  }
  return removed;
}

export class TestNetwork {
  readonly hosts: TestHost[] = [];
  private readonly gone = new Set<TestHost>();

  private constructor(
    readonly runId: string,
    /** The root namespace's address on the bridge: brokers listen here. */
    readonly rootAddress: string,
    private readonly bridge: string,
  ) {}

  /** A bridge 10.213.<x>.1/24 and `count` hosts at .11, .12, …; undone by destroy(). */
  static create(count: number): TestNetwork {
    const runId = randomBytes(3).toString('hex');
    const subnet = `10.213.${1 + (parseInt(runId, 16) % 254)}`;
    const net = new TestNetwork(runId, `${subnet}.1`, `${LINK_PREFIX}${runId}`);
    try {
      ip('link', 'add', net.bridge, 'type', 'bridge');
      ip('addr', 'add', `${net.rootAddress}/24`, 'dev', net.bridge);
      ip('link', 'set', net.bridge, 'up');
      for (let i = 0; i < count; i++) {
        const ns = `${NS_PREFIX}${runId}-${i}`;
        const veth = `${net.bridge}h${i}`;
        const address = `${subnet}.${11 + i}`;
        ip('netns', 'add', ns);
        net.hosts.push({ ns, address, enter: ['nsenter', `--net=/run/netns/${ns}`] });
        ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
        ip('link', 'set', veth, 'master', net.bridge, 'up');
        ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
        ip('-n', ns, 'link', 'set', 'eth0', 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }
    } catch (err) {
      net.destroy();
      throw err;
    }
    return net;
  }

  /** The host vanishes: every process in it is killed, then its namespace and link go. */
  pullThePlug(host: TestHost): number[] {
    if (this.gone.has(host)) return [];
    this.gone.add(host);
    const killed = killAll(host.ns);
    tryIp('netns', 'del', host.ns);
    tryIp('link', 'del', `${this.bridge}h${this.hosts.indexOf(host)}`);
    return killed;
  }

  destroy(): void {
    for (const h of this.hosts) this.pullThePlug(h);
    tryIp('link', 'del', this.bridge);
  }
}
