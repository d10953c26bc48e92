// slirp's DHCP service, carried on in a NAT desktop's namespace. A guest with a DHCP client got
// its address from slirp's built-in server (10.0.2.2, a fixed 24 h lease; restricted, slirp
// gives no router or DNS) while its template booted; forked onto a tap, it renews with 10.0.2.2
// from the lease's half-time on and drops the address when the lease runs out. A small DHCP
// server (busybox udhcpd, unprivileged but for its two network capabilities) answers there with
// the same address and server id, and the namespace's router and DNS.
import { join } from 'path';
import type { UserIds } from '../vm/layout';
import { GUEST_NET } from './addressing';

/** What the server's command line is recognised by (the agent kills it by that). */
export const DHCP_DAEMON = 'udhcpd';

export interface DhcpFiles {
  conf: string;
  leases: string;
  pid: string;
  log: string;
}

/** Its files, in the desktop's VM directory (removed with it). */
export function dhcpFiles(dir: string): DhcpFiles {
  return {
    conf: join(dir, 'dhcpd.conf'),
    leases: join(dir, 'dhcpd.leases'),
    pid: join(dir, 'dhcpd.pid'),
    log: join(dir, 'dhcpd.log'),
  };
}

/** A lease shorter than this would have the guest renew all the time. */
export function checkLeaseS(leaseS: number): void {
  if (!Number.isInteger(leaseS) || leaseS < 10)
    throw new RangeError(
      `the DHCP lease (FORKDESK_NAT_DHCP_LEASE_S) must be a whole number of seconds, at least 10; got ${leaseS}`,
    );
}

/**
 * udhcpd's configuration: one static lease (the guest's MAC → slirp's 10.0.2.15), so a renewal
 * of a lease this server never gave is acknowledged too; `leaseS` for every answer.
 */
export function dhcpServerConfig(
  iface: string,
  files: DhcpFiles,
  leaseS: number,
  dns: boolean,
): string {
  checkLeaseS(leaseS);
  return [
    `interface ${iface}`,
    `start ${GUEST_NET.guest}`,
    `end ${GUEST_NET.guest}`,
    'max_leases 1',
    `static_lease ${GUEST_NET.guestMac} ${GUEST_NET.guest}`,
    `lease_file ${files.leases}`,
    `pidfile ${files.pid}`,
    // The lease file is only written at exit: nothing depends on it (the lease is static).
    'auto_time 0',
    `min_lease ${leaseS}`,
    `opt lease ${leaseS}`,
    'opt subnet 255.255.255.0',
    `opt router ${GUEST_NET.gateway}`,
    ...(dns ? [`opt dns ${GUEST_NET.dns}`] : []),
    '',
  ].join('\n');
}

const CAPS = '+net_bind_service,+net_raw';

/** The server's command line (run inside the namespace); as `user` with only its two caps. */
export function dhcpServerArgv(files: DhcpFiles, user: UserIds | undefined): string[] {
  const udhcpd = ['busybox', DHCP_DAEMON, '-f', '-I', GUEST_NET.gateway, files.conf];
  if (!user) return udhcpd;
  // prettier-ignore
  return [
    'setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups',
    `--inh-caps=${CAPS}`, `--ambient-caps=${CAPS}`, `--bounding-set=-all,${CAPS}`,
    '--no-new-privs', '--', ...udhcpd,
  ];
}
