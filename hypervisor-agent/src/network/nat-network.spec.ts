import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { NetCommands } from './commands';
import { NatNetworks } from './nat-network';

/** Fake commands: records every call, keeps namespaces in a set, can fail on a chosen step. */
class FakeNetCommands implements NetCommands {
  calls: string[] = [];
  namespaces = new Set<string>();
  addrs = new Set<string>(['127.0.0.1']);
  failOn?: string;

  private record(call: string): void {
    this.calls.push(call);
    if (this.failOn && call.includes(this.failOn)) throw new Error(`fake failure at ${call}`);
  }
  async addNetns(name: string): Promise<void> {
    this.record(`netns add ${name}`);
    this.namespaces.add(name);
  }
  async deleteNetns(name: string): Promise<void> {
    this.record(`netns delete ${name}`);
    this.namespaces.delete(name);
  }
  async listNetns(): Promise<string[]> {
    return [...this.namespaces];
  }
  async ipBatch(lines: string[], netns?: string): Promise<void> {
    this.record(`ip${netns ? ` -n ${netns}` : ''}: ${lines.join('; ')}`);
  }
  async nft(script: string, netns?: string): Promise<void> {
    this.record(`nft${netns ? ` -n ${netns}` : ''}: ${script.split('\n')[0]}`);
  }
  async sysctl(key: string, value: string, netns?: string): Promise<void> {
    this.record(`sysctl${netns ? ` -n ${netns}` : ''} ${key}=${value}`);
  }
  async hostIpv4Addrs(): Promise<Set<string>> {
    return this.addrs;
  }
  /** Namespace → command lines of its daemons. */
  daemons = new Map<string, string[][]>();
  startDaemon(argv: string[], logFile: string): void {
    this.record(`start ${argv.join(' ')} > ${logFile}`);
    const ns = /^--net=\/run\/netns\/(.+)$/.exec(argv[1] ?? '')?.[1] ?? '';
    this.daemons.set(ns, [...(this.daemons.get(ns) ?? []), argv]);
  }
  async daemonRuns(netns: string, name: string, arg: string): Promise<boolean> {
    return (this.daemons.get(netns) ?? []).some((a) => a.includes(name) && a.includes(arg));
  }
  async killDaemons(netns: string, name: string): Promise<void> {
    this.record(`kill ${name} in ${netns}`);
    this.daemons.set(
      netns,
      (this.daemons.get(netns) ?? []).filter((a) => !a.includes(name)),
    );
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nat-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cfg = {
  transitSubnet: '100.127.0.0/16',
  tapUser: 'forkdesk',
  tag: 'ab12cd34',
  dhcpLeaseS: 3600,
  dhcpUser: { uid: 999, gid: 995 },
};

describe('NatNetworks', () => {
  it('sets up the host, a namespace, link, tap and rules per desktop', async () => {
    const cmds = new FakeNetCommands();
    const nat = new NatNetworks(cfg, cmds);
    const lease = await nat.setup('c-000000000001', dir);
    expect(lease.netns).toBe('fd-ab12cd34-c-000000000001');
    expect(lease.hostIf).toMatch(/^fdh[0-9a-f]{12}$/);
    expect(cmds.calls).toEqual([
      'sysctl net.ipv4.ip_forward=1',
      'nft: table inet forkdesk_nat {}',
      `netns add ${lease.netns}`,
      `ip: link add ${lease.hostIf} type veth peer name up0 netns ${lease.netns}; ` +
        `addr add ${lease.hostAddr}/30 dev ${lease.hostIf}; link set ${lease.hostIf} up`,
      `ip -n ${lease.netns}: link set lo up; addr add ${lease.nsAddr}/30 dev up0; link set up0 up; ` +
        `route add default via ${lease.hostAddr}; tuntap add dev tap0 mode tap user forkdesk; ` +
        'link set tap0 address 52:55:0a:00:02:02; addr add 10.0.2.2/24 dev tap0; link set tap0 up',
      `sysctl -n ${lease.netns} net.ipv4.ip_forward=1`,
      `nft -n ${lease.netns}: table inet forkdesk {`,
      `start nsenter --net=/run/netns/${lease.netns} -- setpriv --reuid=999 --regid=995 ` +
        '--clear-groups --inh-caps=+net_bind_service,+net_raw ' +
        '--ambient-caps=+net_bind_service,+net_raw --bounding-set=-all,+net_bind_service,+net_raw ' +
        `--no-new-privs -- busybox udhcpd -f -I 10.0.2.2 ${dir}/dhcpd.conf > ${dir}/dhcpd.log`,
    ]);
    expect(readFileSync(join(dir, 'dhcpd.conf'), 'utf8')).toContain('opt lease 3600\n');
    // The host's rules are re-applied every time (a firewall reload may have flushed them).
    cmds.calls = [];
    await nat.setup('c-000000000002', dir);
    expect(cmds.calls.slice(0, 3)).toEqual([
      'sysctl net.ipv4.ip_forward=1',
      'nft: table inet forkdesk_nat {}',
      expect.stringMatching(/^netns add /),
    ]);
    expect(nat.launchArgv(lease, ['qemu', '-name', 'x'])).toEqual([
      'nsenter',
      `--net=/run/netns/${lease.netns}`,
      '--',
      'qemu',
      '-name',
      'x',
    ]);
  });

  it('gives the guest slirp DNS address when a resolver is set', async () => {
    const cmds = new FakeNetCommands();
    await new NatNetworks({ ...cfg, dns: '9.9.9.9' }, cmds).setup('c-1', dir);
    expect(cmds.calls.find((c) => c.startsWith('ip -n'))).toContain(
      'addr add 10.0.2.3/24 dev tap0',
    );
  });

  it('undoes a half-made network when a step fails', async () => {
    const cmds = new FakeNetCommands();
    cmds.failOn = 'tuntap';
    const nat = new NatNetworks(cfg, cmds);
    await expect(nat.setup('c-1', dir)).rejects.toThrow(/fake failure/);
    expect(cmds.namespaces.size).toBe(0);
    expect(cmds.calls.slice(-3)).toEqual([
      'kill udhcpd in fd-ab12cd34-c-1',
      expect.stringMatching(/^ip: link del fdh[0-9a-f]{12}$/),
      'netns delete fd-ab12cd34-c-1',
    ]);
  });

  it('never takes a transit address the host already has', async () => {
    const cmds = new FakeNetCommands();
    const nat = new NatNetworks(cfg, cmds);
    const first = await nat.setup('c-1', dir);
    await nat.teardown(first);
    cmds.addrs.add(first.hostAddr);
    expect((await nat.setup('c-1', dir)).hostAddr).not.toBe(first.hostAddr);
  });

  it('sweeps only its own namespaces of VMs that are gone', async () => {
    const cmds = new FakeNetCommands();
    const nat = new NatNetworks(cfg, cmds);
    for (const n of ['fd-ab12cd34-c-1', 'fd-ab12cd34-c-2', 'fd-99999999-c-3', 'other'])
      cmds.namespaces.add(n);
    expect(await nat.sweep(new Set(['c-1']))).toBe(1);
    expect([...cmds.namespaces].sort()).toEqual(['fd-99999999-c-3', 'fd-ab12cd34-c-1', 'other']);
  });

  it("restarts a desktop's DHCP server only when it is not running, and kills it on teardown", async () => {
    const cmds = new FakeNetCommands();
    const nat = new NatNetworks(cfg, cmds);
    const lease = await nat.setup('c-1', dir);
    cmds.calls = [];
    await nat.ensureDhcp(lease, dir);
    expect(cmds.calls).toEqual([]);
    cmds.daemons.clear(); // it died while no agent ran
    await nat.ensureDhcp(lease, dir);
    expect(cmds.calls).toEqual([expect.stringMatching(/^start nsenter .* busybox udhcpd /)]);
    await nat.teardown(lease);
    expect(await cmds.daemonRuns(lease.netns, 'udhcpd', join(dir, 'dhcpd.conf'))).toBe(false);
  });

  it('refuses bad configuration', () => {
    const cmds = new FakeNetCommands();
    expect(() => new NatNetworks({ ...cfg, transitSubnet: '1.2.3.4/16' }, cmds)).toThrow(
      /network address/,
    );
    expect(() => new NatNetworks({ ...cfg, dns: 'dns.example' }, cmds)).toThrow(/not an IPv4/);
    expect(() => new NatNetworks({ ...cfg, tag: 'A/B' }, cmds)).toThrow(/bad network tag/);
    expect(() => new NatNetworks({ ...cfg, dhcpLeaseS: 5 }, cmds)).toThrow(/at least 10/);
  });
});
