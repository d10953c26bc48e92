import { checkForkCount, checkShape } from './shape';

describe('VM shape and fork count checks', () => {
  it('keeps a valid shape with only its known fields', () => {
    const extra = { vcpus: 2, memoryMiB: 512, gpu: true } as { vcpus: number; memoryMiB: number };
    expect(checkShape(extra)).toEqual({ vcpus: 2, memoryMiB: 512 });
  });

  it.each([
    [{ vcpus: 0, memoryMiB: 512 }, 'shape.vcpus must be 1..64'],
    [{ vcpus: 65, memoryMiB: 512 }, 'shape.vcpus must be 1..64'],
    [{ vcpus: 1.5, memoryMiB: 512 }, 'shape.vcpus must be 1..64'],
    [{ vcpus: 1, memoryMiB: 127 }, 'shape.memoryMiB must be 128..1048576'],
    [{ vcpus: 1, memoryMiB: 1024 * 1024 + 1 }, 'shape.memoryMiB must be 128..1048576'],
  ])('refuses %j as a RangeError (a 400)', (shape, message) => {
    expect(() => checkShape(shape)).toThrow(new RangeError(message));
  });

  it('allows 1..64 children per request', () => {
    expect(() => checkForkCount(1)).not.toThrow();
    expect(() => checkForkCount(64)).not.toThrow();
    for (const n of [0, 65, 2.5, NaN])
      expect(() => checkForkCount(n)).toThrow(new RangeError(`count must be 1..64, got ${n}`));
  });
});
