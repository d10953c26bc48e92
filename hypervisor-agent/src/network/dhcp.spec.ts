import { dhcpFiles, dhcpServerArgv, dhcpServerConfig } from './dhcp';

describe("the NAT namespace's DHCP server", () => {
  const files = dhcpFiles('/vms/c-1');

  it("answers for slirp's address only, with slirp's gateway and DNS", () => {
    expect(dhcpServerConfig('tap0', files, 600, true).split('\n')).toEqual([
      'interface tap0',
      'start 10.0.2.15',
      'end 10.0.2.15',
      'max_leases 1',
      'static_lease 52:54:00:12:34:56 10.0.2.15',
      'lease_file /vms/c-1/dhcpd.leases',
      'pidfile /vms/c-1/dhcpd.pid',
      'auto_time 0',
      'min_lease 600',
      'opt lease 600',
      'opt subnet 255.255.255.0',
      'opt router 10.0.2.2',
      'opt dns 10.0.2.3',
      '',
    ]);
    expect(dhcpServerConfig('tap0', files, 600, false)).not.toContain('opt dns');
  });

  it('refuses a lease too short or not whole', () => {
    expect(() => dhcpServerConfig('tap0', files, 9, false)).toThrow(/at least 10/);
    expect(() => dhcpServerConfig('tap0', files, 10.5, false)).toThrow(RangeError);
  });

  it('runs as root only when the agent has no VM user', () => {
    expect(dhcpServerArgv(files, undefined)).toEqual([
      'busybox',
      'udhcpd',
      '-f',
      '-I',
      '10.0.2.2',
      '/vms/c-1/dhcpd.conf',
    ]);
    const argv = dhcpServerArgv(files, { uid: 5, gid: 6 });
    expect(argv.slice(0, 4)).toEqual(['setpriv', '--reuid=5', '--regid=6', '--clear-groups']);
    expect(argv).toContain('--no-new-privs');
    expect(argv.slice(-6)).toEqual(dhcpServerArgv(files, undefined));
  });
});
