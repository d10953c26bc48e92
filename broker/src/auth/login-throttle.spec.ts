import { LoginThrottle } from './login-throttle';

describe('LoginThrottle', () => {
  it('lets N attempts a minute through per address, then says how long to wait', () => {
    const t = new LoginThrottle(3);
    const now = 1_000_000;
    expect([t.take('a', now), t.take('a', now + 1), t.take('a', now + 2)]).toEqual([0, 0, 0]);
    expect(t.take('a', now + 10_000)).toBe(50);
    expect(t.take('b', now + 10_000)).toBe(0);
    expect(t.take('a', now + 60_001)).toBe(0);
  });

  it('is off at 0', () => {
    const t = new LoginThrottle(0);
    for (let i = 0; i < 100; i++) expect(t.take('a')).toBe(0);
  });
});
