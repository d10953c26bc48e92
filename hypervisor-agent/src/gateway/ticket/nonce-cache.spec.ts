import { NonceCache } from './nonce-cache';

const now = 1_700_000_000_000;

describe('NonceCache', () => {
  it('accepts each nonce once until it expires', () => {
    const c = new NonceCache();
    expect(c.use('n1', now + 1000, now)).toBe(true);
    expect(c.use('n1', now + 1000, now)).toBe(false);
    expect(c.use('n2', now + 1000, now + 2000)).toBe(true);
    expect(c.size).toBe(1);
  });
});
