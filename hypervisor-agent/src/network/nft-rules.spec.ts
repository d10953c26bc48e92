import { hostRuleset, namespaceRuleset } from './nft-rules';

describe('nftables rules of NAT desktops', () => {
  it('host table without a resolver', () => {
    expect(hostRuleset({ transitSubnet: '100.127.0.0/16' })).toBe(
      [
        'table inet forkdesk_nat {}',
        'flush table inet forkdesk_nat',
        'table inet forkdesk_nat {',
        '\tchain input {',
        '\t\ttype filter hook input priority filter; policy accept;',
        '\t\tiifname "fdh*" drop',
        '\t}',
        '\tchain forward {',
        '\t\ttype filter hook forward priority filter; policy accept;',
        '\t\toifname "fdh*" ct state established,related accept',
        '\t\toifname "fdh*" drop',
        '\t\tiifname "fdh*" meta nfproto ipv6 drop',
        '\t\tiifname "fdh*" ip daddr { 0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16, 224.0.0.0/3 } drop',
        '\t}',
        '\tchain postrouting {',
        '\t\ttype nat hook postrouting priority srcnat; policy accept;',
        '\t\tip saddr 100.127.0.0/16 oifname != "fdh*" masquerade',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('host table lets DNS to the resolver through before the drops', () => {
    const dns = '\t\tiifname "fdh*" ip daddr 10.1.2.3 meta l4proto { tcp, udp } th dport 53 accept';
    const lines = hostRuleset({ transitSubnet: '100.127.0.0/16', dns: '10.1.2.3' }).split('\n');
    expect(lines[5]).toBe(dns);
    expect(lines[6]).toBe('\t\tiifname "fdh*" drop');
    expect(lines[12]).toBe(dns);
    expect(lines[13]).toBe('\t\tiifname "fdh*" meta nfproto ipv6 drop');
    expect(lines).toHaveLength(22);
  });

  it('namespace table without a resolver', () => {
    expect(namespaceRuleset({ transitSubnet: '100.127.0.0/16' })).toBe(
      [
        'table inet forkdesk {',
        '\tchain prerouting {',
        '\t\ttype nat hook prerouting priority dstnat; policy accept;',
        '\t}',
        '\tchain input {',
        '\t\ttype filter hook input priority filter; policy drop;',
        '\t\tiifname "tap0" udp sport 68 udp dport 67 accept',
        '\t}',
        '\tchain forward {',
        '\t\ttype filter hook forward priority filter; policy drop;',
        '\t\tiifname "tap0" ip daddr { 0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16, 224.0.0.0/3, 100.127.0.0/16 } drop',
        '\t\tiifname "tap0" oifname "up0" meta nfproto ipv4 accept',
        '\t\tiifname "up0" oifname "tap0" ct state established,related accept',
        '\t}',
        '\tchain postrouting {',
        '\t\ttype nat hook postrouting priority srcnat; policy accept;',
        '\t\toifname "up0" masquerade',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
  });

  it("namespace table forwards slirp's DNS address to the resolver, allowed before the drops", () => {
    const lines = namespaceRuleset({ transitSubnet: '100.127.0.0/16', dns: '10.1.2.3' }).split(
      '\n',
    );
    expect(lines[3]).toBe(
      '\t\tiifname "tap0" ip daddr 10.0.2.3 meta l4proto { tcp, udp } th dport 53 dnat ip to 10.1.2.3',
    );
    expect(lines[11]).toBe(
      '\t\tiifname "tap0" ip daddr 10.1.2.3 meta l4proto { tcp, udp } th dport 53 accept',
    );
    expect(lines[12]).toMatch(/^\t\tiifname "tap0" ip daddr \{ .* \} drop$/);
  });
});
