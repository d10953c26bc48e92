// Real QEMU (TCG), real namespaces and nftables: NAT desktops reach a stand-in "internet" in
// another namespace and nothing else (host, private ranges, each other); a restricted desktop
// reaches nothing; networks go with their desktops, across an agent restart too.
import { ChildInfo } from '@forkdesk/agent-contract';
import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { ForkEngine } from '../fork/fork-engine';
import { IntEnv, openIntEnv } from '../testing/int-env';
import { isAlive, isVmProcess } from '../vm/process';
import { SystemNetCommands } from './commands';
import { HOST_TABLE } from './nft-rules';
import { buildNetImage } from '../testing/net-image';
import { FakeInternet, startFakeInternet } from '../testing/internet';

jest.setTimeout(240_000);

const LEASE_S = 10;

const netnsList = (): string[] =>
  execFileSync('ip', ['netns', 'list'])
    .toString()
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
/** The DHCP servers running in a namespace. */
const dhcpPids = (netns: string): number[] =>
  execFileSync('ip', ['netns', 'pids', netns])
    .toString()
    .split('\n')
    .filter((p) => p && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('udhcpd'))
    .map(Number);
const linkExists = (name: string): boolean => {
  try {
    execFileSync('ip', ['link', 'show', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('NAT desktops on real QEMU', () => {
  let env: IntEnv;
  let inet: FakeInternet;
  let host: Server;
  let hostPort: number;
  let templateId: string;
  let a: ChildInfo;
  let b: ChildInfo;
  let r: ChildInfo;
  let tag: string;

  /** Runs every probe concurrently in the guest: name → "open:<body>" or "closed". */
  const probe = async (
    id: string,
    targets: Record<string, string>,
  ): Promise<Record<string, string>> => {
    const jobs = Object.entries(targets).map(([name, url]) =>
      url.startsWith('ping:')
        ? `(ping -c 1 -W 2 ${url.slice(5)} >/dev/null 2>&1 && echo ${name}=open || echo ${name}=closed) &`
        : `(o=$(timeout 4 wget -q -O - ${url} 2>/dev/null) && echo "${name}=open:$o" || echo ${name}=closed) &`,
    );
    const res = await env.engine.exec(id, {
      command: ['sh', '-c', `${jobs.join('\n')}\nwait`],
      timeoutMs: 20_000,
    });
    return Object.fromEntries(
      res.stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
    );
  };

  beforeAll(async () => {
    // A short lease from the namespaces' DHCP servers: several lease periods pass in a minute.
    env = await openIntEnv('natint', {
      FORKDESK_WARM_POOL_MAX: '0',
      FORKDESK_NAT_DHCP_LEASE_S: String(LEASE_S),
      FORKDESK_REAP_MS: '500',
    });
    inet = await startFakeInternet(String(process.pid % 100000));
    host = createServer((_req, res) => res.end('host-ok\n'));
    await new Promise<void>((resolve) => host.listen(0, '0.0.0.0', resolve));
    hostPort = (host.address() as AddressInfo).port;
    const img = await buildNetImage();
    env.engine.importImage(img.version, img.source);
    // Built under slirp restrict=on: the template's NIC never saw a tap.
    templateId = (
      await env.engine.ensureTemplate({
        imageVersion: img.version,
        shape: { vcpus: 1, memoryMiB: 256 },
      })
    ).id;
  });

  afterAll(async () => {
    try {
      // The engine opened by the restart test holds guest agent connections; cleanup()
      // destroys everything through the first engine (same data dir).
      await env?.engine.close();
      await env?.cleanup();
    } finally {
      host?.close();
      inet?.close();
      // Whatever a failed test left behind. The host's table and ip_forward stay: another
      // agent on this machine may be using them (the agent re-applies the table per desktop).
      for (const ns of netnsList())
        if (tag && ns.startsWith(`fd-${tag}-`)) execFileSync('ip', ['netns', 'delete', ns]);
    }
  });

  it('forks NAT children into their own namespaces and a restricted child without one', async () => {
    const t0 = Date.now();
    [a] = await env.engine.fork(templateId, 1, { network: 'nat' });
    const natForkMs = Date.now() - t0;
    [b] = await env.engine.fork(templateId, 1, { network: 'nat' });
    [r] = await env.engine.fork(templateId, 1);
    if (!a || !b || !r) throw new Error('fork returned nothing');
    const la = env.engine.vmRecord(a.id)?.network;
    const lb = env.engine.vmRecord(b.id)?.network;
    expect(la).toBeDefined();
    expect(lb).toBeDefined();
    expect(env.engine.vmRecord(r.id)?.network).toBeUndefined();
    tag = la?.netns.split('-')[1] ?? '';
    expect(netnsList()).toEqual(expect.arrayContaining([la?.netns, lb?.netns]));
    expect(la?.nsAddr).not.toBe(lb?.nsAddr);
    // QEMU really runs inside the namespace, as the unprivileged user.
    const nsOf = (pid: number): string =>
      execFileSync('readlink', [`/proc/${pid}/ns/net`]).toString();
    expect(nsOf(a.pid)).not.toBe(nsOf(process.pid));
    expect(readFileSync(`/proc/${a.pid}/status`, 'utf8')).toMatch(/^Uid:\s+(?!0\s)\d+/m);
    process.stderr.write(`NAT fork (cold, namespace included): ${natForkMs} ms\n`);
  });

  it('a NAT child reaches the internet and nothing else', async () => {
    const lb = env.engine.vmRecord(b.id)?.network;
    const la = env.engine.vmRecord(a.id)?.network;
    const eth0 = execFileSync('ip', ['-4', '-o', 'addr', 'show'])
      .toString()
      .split('\n')
      .map((l) => /^\d+: (\S+)\s+inet ([0-9.]+)\//.exec(l))
      .find((m) => m && m[1] !== 'lo' && !m[1].startsWith('fd'))?.[2];
    const targets: Record<string, string> = {
      internet: `http://${inet.publicAddr}:${inet.port}/`,
      internetPing: `ping:${inet.publicAddr}`,
      private10: `http://${inet.privateAddr}:${inet.port}/`,
      hostTransit: `http://${la?.hostAddr}:${hostPort}/`,
      hostPublic: `http://${inet.hostPublicAddr}:${hostPort}/`,
      hostGateway: `ping:10.0.2.2`,
      otherDesktop: `ping:${lb?.nsAddr}`,
      otherDesktopHost: `ping:${lb?.hostAddr}`,
      ...(eth0 ? { hostEth0: `http://${eth0}:${hostPort}/` } : {}),
    };
    const got = await probe(a.id, targets);
    expect(got).toEqual({
      internet: `open:internet-ok ${inet.publicAddr}`,
      internetPing: 'open',
      private10: 'closed',
      hostTransit: 'closed',
      hostPublic: 'closed',
      hostGateway: 'closed',
      otherDesktop: 'closed',
      otherDesktopHost: 'closed',
      ...(eth0 ? { hostEth0: 'closed' } : {}),
    });
    // The other NAT child has its own way out.
    expect(await probe(b.id, { internet: targets.internet ?? '' })).toEqual({
      internet: `open:internet-ok ${inet.publicAddr}`,
    });
    // The host itself (not the rules) can reach the "private" server: the drop is the rule's.
    const viaHost = await fetch(`http://${inet.privateAddr}:${inet.port}/`, {
      signal: AbortSignal.timeout(5000),
    });
    expect(await viaHost.text()).toContain('internet-ok');
  });

  it('a restricted child has no network at all', async () => {
    expect(
      await probe(r.id, {
        internet: `http://${inet.publicAddr}:${inet.port}/`,
        hostPublic: `http://${inet.hostPublicAddr}:${hostPort}/`,
        slirpHost: `http://10.0.2.2:${hostPort}/`,
      }),
    ).toEqual({ internet: 'closed', hostPublic: 'closed', slirpHost: 'closed' });
  });

  it("a NAT desktop's DHCP lease is renewed in its namespace; without the server it lapses", async () => {
    /** The guest's DHCP events (see net-image.ts): [event, ip, lease s, server]. */
    const dhcpLog = async (id: string): Promise<string[][]> =>
      (await env.engine.exec(id, { command: ['cat', '/run/dhcp.log'], timeoutMs: 10_000 })).stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' '));
    const internet = { internet: `http://${inet.publicAddr}:${inet.port}/` };
    const reached = { internet: `open:internet-ok ${inet.publicAddr}` };
    const [kept] = await env.engine.fork(templateId, 1, { network: 'nat' });
    const [control] = await env.engine.fork(templateId, 1, { network: 'nat' });
    if (!kept || !control) throw new Error('fork returned nothing');
    // The template's lease came from slirp's own server, for a day.
    const inherited = await dhcpLog(kept.id);
    expect(inherited.at(-1)).toEqual(['bound', '10.0.2.15', '86400', '10.0.2.2']);
    expect(await probe(kept.id, internet)).toEqual(reached);
    // Each guest renews at once (as it would at half of slirp's lease, 12 h after the template
    // booted); its namespace's server answers with the short lease, renewed from then on.
    const renewNow = ['sh', '-c', 'kill -USR1 $(cat /run/udhcpc.pid)'];
    for (const c of [kept, control]) await env.engine.exec(c.id, { command: renewNow });
    const since = inherited.length;
    const after = async (id: string): Promise<string[][]> => (await dhcpLog(id)).slice(since);
    const shortLease = ['renew', '10.0.2.15', String(LEASE_S), '10.0.2.2'];
    const deadline = Date.now() + 30_000;
    while (!(await after(control.id)).some((e) => e.join() === shortLease.join())) {
      if (Date.now() > deadline) throw new Error('the guest got no answer from its namespace');
      await new Promise((r) => setTimeout(r, 1000));
    }
    const t0 = Date.now();
    // The control's server goes: its guest drops the address when the short lease ends.
    const lc = env.engine.vmRecord(control.id)?.network;
    await new SystemNetCommands().killDaemons(lc?.netns ?? '', 'udhcpd');
    let renewals = 0;
    while (Date.now() - t0 < 5 * LEASE_S * 1000 || renewals < 4) {
      if (Date.now() - t0 > 120_000) throw new Error(`only ${renewals} renewals in 120 s`);
      await new Promise((r) => setTimeout(r, 3000));
      const events = await after(kept.id);
      expect(events.filter((e) => e[0] !== 'renew')).toEqual([]);
      renewals = events.filter((e) => e.join() === shortLease.join()).length;
    }
    process.stderr.write(
      `DHCP: ${renewals} renewals of a ${LEASE_S} s lease in ${Math.round((Date.now() - t0) / 1000)} s\n`,
    );
    expect(await probe(kept.id, internet)).toEqual(reached);
    expect((await after(control.id)).map((e) => e[0])).toContain('deconfig');
    expect(await probe(control.id, internet)).toEqual({ internet: 'closed' });
    for (const c of [kept, control]) await env.engine.destroy(c.id);
  });

  it('a desktop whose QEMU dies is removed by the running agent: directory, network, DHCP server', async () => {
    const [d] = await env.engine.fork(templateId, 1, { network: 'nat' });
    if (!d) throw new Error('fork returned nothing');
    const rec = env.engine.vmRecord(d.id);
    const [dhcpPid, ...more] = dhcpPids(rec?.network?.netns ?? '');
    expect(dhcpPid).toBeDefined();
    expect(more).toEqual([]);
    const t0 = Date.now();
    process.kill(d.pid, 'SIGKILL');
    while (env.engine.vmRecord(d.id)) {
      if (Date.now() - t0 > 10_000) throw new Error('the dead VM was not removed within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    process.stderr.write(`dead VM removed ${Date.now() - t0} ms after its QEMU died\n`);
    expect(existsSync(rec?.dir ?? '/')).toBe(false);
    expect(netnsList()).not.toContain(rec?.network?.netns);
    expect(linkExists(rec?.network?.hostIf ?? '')).toBe(false);
    expect(isAlive(dhcpPid ?? 0)).toBe(false);
    expect(env.engine.getChild(d.id)).toBeUndefined();
  });

  it('a restarted agent keeps living NAT desktops and removes the networks of lost ones', async () => {
    const la = env.engine.vmRecord(a.id)?.network;
    const lb = env.engine.vmRecord(b.id)?.network;
    // A firewall reload flushes the host's table: the namespaces' own rules still hold.
    execFileSync('nft', ['delete', 'table', 'inet', HOST_TABLE]);
    expect(
      await probe(a.id, {
        private10: `http://${inet.privateAddr}:${inet.port}/`,
        otherDesktop: `ping:${lb?.nsAddr}`,
      }),
    ).toEqual({ private10: 'closed', otherDesktop: 'closed' });
    // B's QEMU dies while no agent runs; a namespace of a VM nobody knows is left over too.
    await env.engine.close();
    process.kill(b.pid, 'SIGKILL');
    const stale = `fd-${tag}-c-0123456789ab`;
    execFileSync('ip', ['netns', 'add', stale]);
    while (isVmProcess(b.pid, b.id)) await new Promise((res) => setTimeout(res, 10));
    env.engine = await ForkEngine.open(env.cfg);
    const names = netnsList();
    expect(names).toContain(la?.netns);
    expect(names).not.toContain(lb?.netns);
    expect(names).not.toContain(stale);
    expect(linkExists(lb?.hostIf ?? '')).toBe(false);
    expect(env.engine.getChild(b.id)).toBeUndefined();
    // A's DHCP server outlived the agent, as its QEMU did; one that died is started again.
    const [survivor] = dhcpPids(la?.netns ?? '');
    expect(survivor).toBeDefined();
    await env.engine.close();
    process.kill(survivor ?? 0, 'SIGKILL');
    while (isAlive(survivor ?? 0)) await new Promise((res) => setTimeout(res, 10));
    env.engine = await ForkEngine.open(env.cfg);
    expect(dhcpPids(la?.netns ?? '')).toHaveLength(1);
    // The restarted agent put the host's table back for its living NAT desktop.
    execFileSync('nft', ['list', 'table', 'inet', HOST_TABLE], { stdio: 'ignore' });
    expect(await probe(a.id, { internet: `http://${inet.publicAddr}:${inet.port}/` })).toEqual({
      internet: `open:internet-ok ${inet.publicAddr}`,
    });
  });

  it('destroying a NAT child removes its namespace and link', async () => {
    const la = env.engine.vmRecord(a.id)?.network;
    await env.engine.destroy(a.id);
    expect(netnsList()).not.toContain(la?.netns);
    expect(linkExists(la?.hostIf ?? '')).toBe(false);
    expect(netnsList().filter((n) => n.startsWith(`fd-${tag}-`))).toEqual([]);
  });

  it('re-forking a NAT child gives a restricted template and child 0, and frees its network', async () => {
    const [d] = await env.engine.fork(templateId, 1, { network: 'nat' });
    if (!d) throw new Error('fork returned nothing');
    const ld = env.engine.vmRecord(d.id)?.network;
    const { children } = await env.engine.forkRunning(d.id, 1);
    expect(children.map((c) => c.id)).toEqual([d.id]);
    expect(env.engine.vmRecord(d.id)?.network).toBeUndefined();
    expect(netnsList()).not.toContain(ld?.netns);
    expect(await probe(d.id, { internet: `http://${inet.publicAddr}:${inet.port}/` })).toEqual({
      internet: 'closed',
    });
  });
});
