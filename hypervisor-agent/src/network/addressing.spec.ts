import {
  hostIfName,
  linkCount,
  netnsName,
  parseIpv4,
  parseSubnet,
  pickTransitLink,
  transitLink,
} from './addressing';

describe('NAT addressing', () => {
  it('parses addresses and subnets, refusing bad ones', () => {
    expect(parseIpv4('100.127.0.1')).toBe(0x647f0001);
    expect(() => parseIpv4('1.2.3')).toThrow(/not an IPv4/);
    expect(() => parseIpv4('1.2.3.256')).toThrow(/not an IPv4/);
    expect(() => parseIpv4('01.2.3.4')).toThrow(/not an IPv4/);
    expect(parseSubnet('100.127.0.0/16')).toEqual({ base: 0x647f0000, prefix: 16 });
    expect(() => parseSubnet('100.127.0.1/16')).toThrow(/network address/);
    expect(() => parseSubnet('100.127.0.0/30')).toThrow(/8\.\.28/);
    expect(() => parseSubnet('nonsense')).toThrow(/IPv4 subnet/);
  });

  it('cuts the subnet into /30 links: .1 host, .2 namespace', () => {
    const net = parseSubnet('100.127.0.0/16');
    expect(linkCount(net)).toBe(16384);
    expect(transitLink(net, 0)).toEqual({
      index: 0,
      hostAddr: '100.127.0.1',
      nsAddr: '100.127.0.2',
    });
    expect(transitLink(net, 16383)).toEqual({
      index: 16383,
      hostAddr: '100.127.255.253',
      nsAddr: '100.127.255.254',
    });
    expect(() => transitLink(net, 16384)).toThrow(RangeError);
  });

  it('picks a free link, starting from the id and skipping used ones', () => {
    const net = parseSubnet('10.9.0.0/28');
    const first = pickTransitLink(net, 'c-1', new Set());
    expect(pickTransitLink(net, 'c-1', new Set())).toEqual(first);
    const next = pickTransitLink(net, 'c-1', new Set([first.hostAddr]));
    expect(next.index).toBe((first.index + 1) % 4);
    const all = new Set([0, 1, 2, 3].map((i) => transitLink(net, i).hostAddr));
    expect(() => pickTransitLink(net, 'c-1', all)).toThrow(/no free transit link/);
  });

  it('names namespaces by agent and VM, host interfaces within 15 bytes', () => {
    expect(netnsName('ab12cd34', 'c-0123456789ab')).toBe('fd-ab12cd34-c-0123456789ab');
    expect(hostIfName('c-0123456789ab')).toMatch(/^fdh[0-9a-f]{12}$/);
    expect(hostIfName('c-0123456789ab')).not.toBe(hostIfName('c-0123456789ac'));
  });
});
