import { RefreshBoost } from './refresh-boost';

describe('RefreshBoost', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('nudges every interval for the window after the last input, then stops', () => {
    let nudges = 0;
    const b = new RefreshBoost(() => nudges++, 100, 20);
    b.onInput();
    jest.advanceTimersByTime(60);
    expect(nudges).toBe(3);
    b.onInput(); // extends the window from now (60 ms) to 160 ms
    jest.advanceTimersByTime(200);
    expect(nudges).toBe(7);
    jest.advanceTimersByTime(200);
    expect(nudges).toBe(7);
  });

  it('does nothing with a zero window, and stop() ends a boost at once', () => {
    let nudges = 0;
    const off = new RefreshBoost(() => nudges++, 0);
    off.onInput();
    jest.advanceTimersByTime(100);
    expect(nudges).toBe(0);
    const b = new RefreshBoost(() => nudges++, 1000, 20);
    b.onInput();
    jest.advanceTimersByTime(40);
    b.stop();
    jest.advanceTimersByTime(200);
    expect(nudges).toBe(2);
  });
});
