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
}

const cfg = { transitSubnet: '100.127.0.0/16', tapUser: 'forkdesk', tag: 'ab12cd34' };

describe('NatNetworks', () => {
  it('sets up the host, a namespace, link, tap and rules per desktop', async () => {
    const cmds = new FakeNetCommands();
    const nat = new NatNetworks(cfg, cmds);
    const lease = await nat.setup('c-000000000001');
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
    ]);
    // The host's rules are re-applied every time (a firewall reload may have flushed them).
    cmds.calls = [];
    await nat.setup('c-000000000002');
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
    await new NatNetworks({ ...cfg, dns: '9.9.9.9' }, cmds).setup('c-1');
    expect(cmds.calls.find((c) => c.startsWith('ip -n'))).toContain(
      'addr add 10.0.2.3/24 dev tap0',
    );
  });

  it('undoes a half-made network when a step fails', async () => {
    const cmds = new FakeNetCommands();
    cmds.failOn = 'tuntap';
    const nat = new NatNetworks(cfg, cmds);
    await expect(nat.setup('c-1')).rejects.toThrow(/fake failure/);
    expect(cmds.namespaces.size).toBe(0);
    expect(cmds.calls.slice(-2)).toEqual([
      expect.stringMatching(/^ip: link del fdh[0-9a-f]{12}$/),
      'netns delete fd-ab12cd34-c-1',
    ]);
  });

  it('never takes a transit address the host already has', async () => {
    const cmds = new FakeNetCommands();
    const nat = new NatNetworks(cfg, cmds);
    const first = await nat.setup('c-1');
    await nat.teardown(first);
    cmds.addrs.add(first.hostAddr);
    expect((await nat.setup('c-1')).hostAddr).not.toBe(first.hostAddr);
  });

  it('sweeps only its own namespaces of VMs that are gone', async () => {
    const cmds = new FakeNetCommands();
    const nat = new NatNetworks(cfg, cmds);
    for (const n of ['fd-ab12cd34-c-1', 'fd-ab12cd34-c-2', 'fd-99999999-c-3', 'other'])
      cmds.namespaces.add(n);
    expect(await nat.sweep(new Set(['c-1']))).toBe(1);
    expect([...cmds.namespaces].sort()).toEqual(['fd-99999999-c-3', 'fd-ab12cd34-c-1', 'other']);
  });

  it('refuses bad configuration', () => {
    const cmds = new FakeNetCommands();
    expect(() => new NatNetworks({ ...cfg, transitSubnet: '1.2.3.4/16' }, cmds)).toThrow(
      /network address/,
    );
    expect(() => new NatNetworks({ ...cfg, dns: 'dns.example' }, cmds)).toThrow(/not an IPv4/);
    expect(() => new NatNetworks({ ...cfg, tag: 'A/B' }, cmds)).toThrow(/bad network tag/);
  });
});
