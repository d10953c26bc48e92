// Pure naming and address planning of NAT desktops: a /30 transit link per desktop out of one
// configured subnet, and the slirp-compatible addresses the guest already uses.
import { createHash } from 'crypto';

/** The guest keeps the addresses slirp gave the template: gateway, DNS, its own. */
export const GUEST_NET = {
  cidr: '10.0.2.0/24',
  gateway: '10.0.2.2',
  dns: '10.0.2.3',
  /** slirp's own MAC for 10.0.2.2: the guest's cached ARP entry stays valid after the fork. */
  gatewayMac: '52:55:0a:00:02:02',
  /** The address slirp's DHCP gives the guest. */
  guest: '10.0.2.15',
  /** The MAC QEMU gives a VM's only NIC when none is set (the agent never sets one). */
  guestMac: '52:54:00:12:34:56',
} as const;

/** Interface names inside a desktop's namespace (each namespace has its own). */
export const NS_TAP = 'tap0';
export const NS_UPLINK = 'up0';
/** Host ends of the transit links; the host's nftables rules match this prefix. */
export const HOST_IF_PREFIX = 'fdh';

export interface Ipv4Net {
  base: number;
  prefix: number;
}

export interface TransitLink {
  index: number;
  hostAddr: string;
  nsAddr: string;
}

export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255))
    throw new Error(`"${text}" is not an IPv4 address`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses "a.b.c.d/p" (p 8..28: at least two /30 links), network address required. */
export function parseSubnet(text: string): Ipv4Net {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  const prefix = Number(m?.[2]);
  if (!m?.[1] || prefix < 8 || prefix > 28)
    throw new Error(`"${text}" must be an IPv4 subnet a.b.c.d/p with p in 8..28`);
  const base = parseIpv4(m[1]);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new Error(`"${text}" is not a network address`);
  return { base, prefix };
}

export function linkCount(net: Ipv4Net): number {
  return 2 ** (30 - net.prefix);
}

/** The index-th /30 of the subnet: .1 is the host's end, .2 the namespace's. */
export function transitLink(net: Ipv4Net, index: number): TransitLink {
  if (!Number.isInteger(index) || index < 0 || index >= linkCount(net))
    throw new RangeError(`transit link ${index} is outside the subnet`);
  const first = net.base + index * 4;
  return { index, hostAddr: formatIpv4(first + 1), nsAddr: formatIpv4(first + 2) };
}

/**
 * A free link for `vmId`: starts at a slot derived from the id (two agents sharing the host's
 * namespace rarely probe the same slots) and skips slots whose host address is in use.
 */
export function pickTransitLink(
  net: Ipv4Net,
  vmId: string,
  usedHostAddrs: Set<string>,
): TransitLink {
  const n = linkCount(net);
  const start = createHash('sha256').update(vmId).digest().readUInt32BE(0) % n;
  for (let i = 0; i < n; i++) {
    const link = transitLink(net, (start + i) % n);
    if (!usedHostAddrs.has(link.hostAddr)) return link;
  }
  throw new Error(`no free transit link left in ${formatIpv4(net.base)}/${net.prefix}`);
}

/** The namespace of one desktop; `tag` names the agent's data dir so agents never collide. */
export function netnsName(tag: string, vmId: string): string {
  return `fd-${tag}-${vmId}`;
}

/** Interface names are at most 15 bytes: the prefix and 12 hex digits of the VM id's hash. */
export function hostIfName(vmId: string): string {
  return HOST_IF_PREFIX + createHash('sha256').update(vmId).digest('hex').slice(0, 12);
}
