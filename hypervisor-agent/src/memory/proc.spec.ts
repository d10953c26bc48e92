import {
  checkReserve,
  hostMemoryFromMeminfo,
  InsufficientMemoryError,
  usageFromSmapsRollup,
} from './proc';

const ROLLUP = `564c1de0d000-7fff5904e000 ---p 00000000 00:00 0                          [rollup]
Rss:               97544 kB
Pss:               93840 kB
Pss_Anon:          49108 kB
Shared_Clean:       5564 kB
Private_Dirty:     72800 kB
Anonymous:         49108 kB
AnonHugePages:     20480 kB
Swap:               1024 kB
SwapPss:               0 kB
`;

describe('memory accounting', () => {
  it('private = Anonymous + Swap, shared = file pages', () => {
    expect(usageFromSmapsRollup(ROLLUP)).toEqual({ privateMiB: 49, sharedMiB: 47.3 });
  });

  it('reads MemTotal and MemAvailable', () => {
    expect(
      hostMemoryFromMeminfo(
        'MemTotal:       24684032 kB\nMemFree:        1 kB\nMemAvailable:   24279040 kB\n',
      ),
    ).toEqual({ totalMiB: 24105, availableMiB: 23710 });
    expect(() => hostMemoryFromMeminfo('MemTotal: 1 kB\n')).toThrow(/MemAvailable/);
  });

  it('refuses a fork that would cross the reserve, with the numbers', () => {
    const host = { totalMiB: 24000, availableMiB: 3000 };
    expect(() => checkReserve(host, 2048, 10, 64)).not.toThrow();
    expect(() => checkReserve(host, 2048, 20, 64)).toThrow(InsufficientMemoryError);
    expect(() => checkReserve(host, 2048, 20, 64)).toThrow(
      /leave 1720 MiB available, under the reserve of 2048 MiB/,
    );
  });
});
