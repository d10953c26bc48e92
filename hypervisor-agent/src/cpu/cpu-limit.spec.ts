import { checkCpuLimit, cpuMaxLine, cpuQuotaUs } from './cpu-limit';

describe('CPU limit', () => {
  it('takes whole percents from 10 to vcpus × 100', () => {
    expect(checkCpuLimit(10, 1)).toBe(10);
    expect(checkCpuLimit(100, 1)).toBe(100);
    expect(checkCpuLimit(200, 2)).toBe(200);
  });

  it('refuses the rest with a RangeError (a 400) naming the range', () => {
    expect(() => checkCpuLimit(9, 1)).toThrow(RangeError);
    expect(() => checkCpuLimit(101, 1)).toThrow(
      'cpuLimitPercent must be a whole number from 10 to 100 (1 vCPU × 100), got 101',
    );
    expect(() => checkCpuLimit(201, 2)).toThrow(/from 10 to 200 \(2 vCPUs × 100\)/);
    expect(() => checkCpuLimit(50.5, 2)).toThrow(/whole number/);
    expect(() => checkCpuLimit(Number.NaN, 2)).toThrow(RangeError);
  });

  it('turns percents of one core into CPU time per 100 ms period', () => {
    expect(cpuQuotaUs(50)).toBe(50_000);
    expect(cpuQuotaUs(10)).toBe(10_000);
    expect(cpuQuotaUs(250)).toBe(250_000);
    expect(cpuMaxLine(50)).toBe('50000 100000');
    expect(cpuMaxLine(200)).toBe('200000 100000');
  });
});
