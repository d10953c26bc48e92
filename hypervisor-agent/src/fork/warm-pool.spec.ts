import { warmTarget } from './warm-pool';

describe('warmTarget', () => {
  it('keeps one ready when idle, follows the fork rate, caps at max', () => {
    const now = 100_000;
    expect(warmTarget([], now, 4)).toBe(1);
    expect(
      warmTarget(
        Array.from({ length: 25 }, (_, i) => now - i * 100),
        now,
        4,
      ),
    ).toBe(3);
    expect(
      warmTarget(
        Array.from({ length: 100 }, () => now),
        now,
        4,
      ),
    ).toBe(4);
    expect(warmTarget([now - 20_000], now, 4)).toBe(1);
    expect(warmTarget([now], now, 0)).toBe(0);
  });
});
