import { quickVerdict } from './probe';

describe('quickVerdict', () => {
  it('honours explicit choices and falls back to TCG without /dev/kvm', () => {
    expect(quickVerdict('tcg', undefined)).toEqual({ accel: 'tcg', reason: 'FORKDESK_ACCEL=tcg' });
    expect(quickVerdict('kvm', undefined)?.accel).toBe('kvm');
    expect(() => quickVerdict('kvm', '/dev/kvm not usable')).toThrow(/FORKDESK_ACCEL=kvm but/);
    expect(quickVerdict('auto', '/dev/kvm not usable')).toEqual({
      accel: 'tcg',
      reason: '/dev/kvm not usable',
    });
    expect(quickVerdict('auto', undefined)).toBeUndefined();
  });
});
