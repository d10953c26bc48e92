import { bytes, localToIso, mib } from './format';

describe('admin formats', () => {
  it('formats memory and sizes', () => {
    expect(mib(46)).toBe('46 MiB');
    expect(mib(24576)).toBe('24.0 GiB');
    expect(mib(null)).toBe('—');
    expect(bytes('1181116006')).toBe('1.10 GiB');
    expect(bytes(3_200_000)).toBe('3 MiB');
    expect(bytes(undefined)).toBe('—');
  });

  it('turns a datetime-local value into ISO', () => {
    expect(localToIso('')).toBeUndefined();
    expect(localToIso('nope')).toBeUndefined();
    expect(localToIso('2026-01-02T03:04')).toBe(new Date('2026-01-02T03:04').toISOString());
  });
});
