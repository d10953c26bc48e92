import { randomBytes } from 'crypto';
import { encryptTunnelToken, isTunnelTokenValid } from './tunnel-token';

describe('isTunnelTokenValid', () => {
  const key = randomBytes(32);
  const token = encryptTunnelToken(
    { connection: { type: 'vnc', guacdHost: '127.0.0.1', guacdPort: 4822, settings: {} } },
    key,
  );

  it('accepts a token this key made', () => {
    expect(isTunnelTokenValid(`/tunnel?token=${encodeURIComponent(token)}`, key)).toBe(true);
  });

  it.each([
    ['no token', '/tunnel'],
    ['an empty token', '/tunnel?token='],
    ['garbage', '/tunnel?token=none'],
    ['base64 of non-JSON', `/tunnel?token=${Buffer.from('hi').toString('base64')}`],
    ['JSON without a cipher text', `/tunnel?token=${Buffer.from('{}').toString('base64')}`],
  ])('refuses %s', (_n, url) => {
    expect(isTunnelTokenValid(url, key)).toBe(false);
  });

  it("refuses another key's token and a missing URL", () => {
    expect(isTunnelTokenValid(`/tunnel?token=${encodeURIComponent(token)}`, randomBytes(32))).toBe(
      false,
    );
    expect(isTunnelTokenValid(undefined, key)).toBe(false);
  });
});
