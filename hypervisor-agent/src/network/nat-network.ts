// NAT desktops: per desktop a network namespace holding the tap its QEMU opens, a veth link
// to the host, the namespace's own rules and a DHCP server; on the host one shared table.
// Everything a desktop owns goes with its namespace, so teardown and restart cleanup are by name.
import { writeFileSync } from 'fs';
import { logger } from '../logger';
import type { UserIds } from '../vm/layout';
import {
  GUEST_NET,
  hostIfName,
  Ipv4Net,
  netnsName,
  NS_TAP,
  NS_UPLINK,
  parseIpv4,
  parseSubnet,
  pickTransitLink,
} from './addressing';
import { inNetns, NetCommands } from './commands';
import { checkLeaseS, DHCP_DAEMON, dhcpFiles, dhcpServerArgv, dhcpServerConfig } from './dhcp';
import { hostRuleset, namespaceRuleset, NatRulesConfig } from './nft-rules';

/** A desktop's network, stored in its VM record so a restarted agent can remove it. */
export interface NatLease {
  netns: string;
  hostIf: string;
  hostAddr: string;
  nsAddr: string;
}

export interface NatConfig {
  /** Transit links' subnet (a /30 per desktop), e.g. "100.127.0.0/16". */
  transitSubnet: string;
  /** Resolver for the guest's 10.0.2.3; none: the guest must use a public resolver itself. */
  dns?: string;
  /** Owner of the tap (QEMU's user after `-run-with`). */
  tapUser?: string;
  /** Names this agent's namespaces (several agents may share a host). */
  tag: string;
  /** Lease the namespace's DHCP server gives (seconds). */
  dhcpLeaseS: number;
  /** Who the DHCP server runs as (QEMU's user); none: root. */
  dhcpUser?: UserIds;
}

export class NatNetworks {
  private readonly net: Ipv4Net;
  private readonly rules: NatRulesConfig;
  /** Allocation is serialized: two setups must not probe the same free link. */
  private allocating: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cfg: NatConfig,
    private readonly cmds: NetCommands,
  ) {
    this.net = parseSubnet(cfg.transitSubnet);
    if (cfg.dns !== undefined) parseIpv4(cfg.dns);
    this.rules = { transitSubnet: cfg.transitSubnet, dns: cfg.dns };
    if (!/^[a-z0-9]{1,16}$/.test(cfg.tag)) throw new Error(`bad network tag "${cfg.tag}"`);
    checkLeaseS(cfg.dhcpLeaseS);
  }

  /**
   * The host's table and forwarding. Re-applied (atomically) before every NAT desktop and at
   * start, so a firewall reload that flushed the ruleset is repaired by the next one.
   */
  async ensureHost(): Promise<void> {
    try {
      await this.cmds.sysctl('net.ipv4.ip_forward', '1');
      await this.cmds.nft(hostRuleset(this.rules));
    } catch (err) {
      throw new Error(`NAT host setup failed: ${(err as Error).message}`);
    }
  }

  /**
   * Creates the desktop's namespace, tap, transit link, rules and DHCP server (its files in
   * `dir`, the VM's directory); all or nothing.
   */
  async setup(vmId: string, dir: string): Promise<NatLease> {
    await this.ensureHost();
    const job = this.allocating.then(() => this.create(vmId, dir));
    this.allocating = job.catch(() => undefined);
    return job;
  }

  private async create(vmId: string, dir: string): Promise<NatLease> {
    const link = pickTransitLink(this.net, vmId, await this.cmds.hostIpv4Addrs());
    const lease: NatLease = {
      netns: netnsName(this.cfg.tag, vmId),
      hostIf: hostIfName(vmId),
      hostAddr: link.hostAddr,
      nsAddr: link.nsAddr,
    };
    try {
      await this.cmds.addNetns(lease.netns);
      await this.cmds.ipBatch([
        `link add ${lease.hostIf} type veth peer name ${NS_UPLINK} netns ${lease.netns}`,
        `addr add ${lease.hostAddr}/30 dev ${lease.hostIf}`,
        `link set ${lease.hostIf} up`,
      ]);
      const owner = this.cfg.tapUser ? ` user ${this.cfg.tapUser}` : '';
      await this.cmds.ipBatch(
        [
          'link set lo up',
          `addr add ${lease.nsAddr}/30 dev ${NS_UPLINK}`,
          `link set ${NS_UPLINK} up`,
          `route add default via ${lease.hostAddr}`,
          `tuntap add dev ${NS_TAP} mode tap${owner}`,
          `link set ${NS_TAP} address ${GUEST_NET.gatewayMac}`,
          `addr add ${GUEST_NET.gateway}/24 dev ${NS_TAP}`,
          ...(this.cfg.dns ? [`addr add ${GUEST_NET.dns}/24 dev ${NS_TAP}`] : []),
          `link set ${NS_TAP} up`,
        ],
        lease.netns,
      );
      await this.cmds.sysctl('net.ipv4.ip_forward', '1', lease.netns);
      await this.cmds.nft(namespaceRuleset(this.rules), lease.netns);
      await this.ensureDhcp(lease, dir);
      return lease;
    } catch (err) {
      await this.teardown(lease);
      throw err;
    }
  }

  /**
   * Starts the desktop's DHCP server unless it runs (a re-adopted desktop's may have died
   * while no agent ran): without it the guest drops its address when slirp's lease ends.
   */
  async ensureDhcp(lease: NatLease, dir: string): Promise<void> {
    const files = dhcpFiles(dir);
    if (await this.cmds.daemonRuns(lease.netns, DHCP_DAEMON, files.conf)) return;
    writeFileSync(files.conf, dhcpServerConfig(NS_TAP, files, this.cfg.dhcpLeaseS, !!this.cfg.dns));
    this.cmds.startDaemon(
      this.launchArgv(lease, dhcpServerArgv(files, this.cfg.dhcpUser)),
      files.log,
    );
  }

  /** Removes the desktop's network (its QEMU must be gone); missing parts are fine. */
  async teardown(lease: NatLease): Promise<void> {
    // Its DHCP server would keep the namespace alive after its name is gone.
    await this.cmds
      .killDaemons(lease.netns, DHCP_DAEMON)
      .catch((err: unknown) => logger.warn({ err, netns: lease.netns }, 'DHCP server not stopped'));
    // Deleting the host end takes the namespace's end with it, even if the namespace lingers.
    await this.cmds.ipBatch([`link del ${lease.hostIf}`]).catch(() => undefined);
    await this.cmds.deleteNetns(lease.netns);
  }

  /** Removes this agent's namespaces whose VM is not in `keep` (after a restart or purge). */
  async sweep(keep: Set<string>): Promise<number> {
    const prefix = netnsName(this.cfg.tag, '');
    let removed = 0;
    for (const ns of await this.cmds.listNetns()) {
      if (!ns.startsWith(prefix)) continue;
      const vmId = ns.slice(prefix.length);
      if (keep.has(vmId)) continue;
      logger.info({ netns: ns }, 'removing the network of a VM that is gone');
      await this.teardown({ netns: ns, hostIf: hostIfName(vmId), hostAddr: '', nsAddr: '' });
      removed++;
    }
    return removed;
  }

  /** The command line that starts `argv` (QEMU) inside the desktop's namespace. */
  launchArgv(lease: NatLease, argv: string[]): string[] {
    return inNetns(lease.netns, argv);
  }
}
