// Pure generation of the nftables rulesets of NAT desktops (loaded with `nft -f -`).
// The host's table is the same for every desktop (it matches the transit links by name
// prefix); each desktop's namespace has its own small table.
import { GUEST_NET, HOST_IF_PREFIX, NS_TAP, NS_UPLINK } from './addressing';

export const HOST_TABLE = 'forkdesk_nat';
export const NS_TABLE = 'forkdesk';

/** What a desktop may never reach: "this" network, private, CGNAT, loopback, link-local, multicast and above. */
export const BLOCKED_RANGES = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/3',
];

export interface NatRulesConfig {
  /** The transit links' subnet, e.g. "100.127.0.0/16". */
  transitSubnet: string;
  /** Resolver the guest's 10.0.2.3 is forwarded to; may be private or on the host itself. */
  dns?: string;
}

const DESKTOPS = `"${HOST_IF_PREFIX}*"`;

function dnsAccept(iif: string, dns: string | undefined): string[] {
  return dns
    ? [`\t\tiifname ${iif} ip daddr ${dns} meta l4proto { tcp, udp } th dport 53 accept`]
    : [];
}

/**
 * The host's table, replaced atomically (declare, flush, define in one transaction): nothing
 * from a desktop reaches the host itself, another desktop or a blocked range; the rest is
 * masqueraded out of the host's own uplinks.
 */
export function hostRuleset(cfg: NatRulesConfig): string {
  return [
    `table inet ${HOST_TABLE} {}`,
    `flush table inet ${HOST_TABLE}`,
    `table inet ${HOST_TABLE} {`,
    `\tchain input {`,
    `\t\ttype filter hook input priority filter; policy accept;`,
    ...dnsAccept(DESKTOPS, cfg.dns),
    `\t\tiifname ${DESKTOPS} drop`,
    `\t}`,
    `\tchain forward {`,
    `\t\ttype filter hook forward priority filter; policy accept;`,
    `\t\toifname ${DESKTOPS} ct state established,related accept`,
    `\t\toifname ${DESKTOPS} drop`,
    ...dnsAccept(DESKTOPS, cfg.dns),
    `\t\tiifname ${DESKTOPS} meta nfproto ipv6 drop`,
    `\t\tiifname ${DESKTOPS} ip daddr { ${BLOCKED_RANGES.join(', ')} } drop`,
    `\t}`,
    `\tchain postrouting {`,
    `\t\ttype nat hook postrouting priority srcnat; policy accept;`,
    `\t\tip saddr ${cfg.transitSubnet} oifname != ${DESKTOPS} masquerade`,
    `\t}`,
    `}`,
    '',
  ].join('\n');
}

/**
 * One desktop's namespace: the guest's packets go out of the uplink masqueraded as the
 * namespace's transit address (every guest keeps slirp's 10.0.2.15); only replies come back;
 * the namespace itself answers nothing but ARP and the guest's DHCP. It also drops the blocked ranges and the
 * transit links (host and other desktops), so a flushed host ruleset (e.g. a reload of the
 * host's firewall) still leaves those out of reach.
 */
export function namespaceRuleset(cfg: NatRulesConfig): string {
  const { dns } = cfg;
  const tap = `"${NS_TAP}"`;
  const up = `"${NS_UPLINK}"`;
  return [
    `table inet ${NS_TABLE} {`,
    `\tchain prerouting {`,
    `\t\ttype nat hook prerouting priority dstnat; policy accept;`,
    ...(dns
      ? [
          `\t\tiifname ${tap} ip daddr ${GUEST_NET.dns} meta l4proto { tcp, udp } th dport 53 dnat ip to ${dns}`,
        ]
      : []),
    `\t}`,
    `\tchain input {`,
    `\t\ttype filter hook input priority filter; policy drop;`,
    // The namespace's DHCP server (see dhcp.ts).
    `\t\tiifname ${tap} udp sport 68 udp dport 67 accept`,
    `\t}`,
    `\tchain forward {`,
    `\t\ttype filter hook forward priority filter; policy drop;`,
    ...(dns
      ? [`\t\tiifname ${tap} ip daddr ${dns} meta l4proto { tcp, udp } th dport 53 accept`]
      : []),
    `\t\tiifname ${tap} ip daddr { ${[...BLOCKED_RANGES, cfg.transitSubnet].join(', ')} } drop`,
    `\t\tiifname ${tap} oifname ${up} meta nfproto ipv4 accept`,
    `\t\tiifname ${up} oifname ${tap} ct state established,related accept`,
    `\t}`,
    `\tchain postrouting {`,
    `\t\ttype nat hook postrouting priority srcnat; policy accept;`,
    `\t\toifname ${up} masquerade`,
    `\t}`,
    `}`,
    '',
  ].join('\n');
}
