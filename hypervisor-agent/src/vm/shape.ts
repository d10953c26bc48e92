import { MAX_FORK_COUNT, type VmShape } from '@forkdesk/agent-contract';

export const DEFAULT_SHAPE: VmShape = { vcpus: 1, memoryMiB: 1024 };

/** A VM shape within bounds, with only its known fields (RangeError otherwise: a 400). */
export function checkShape(s: VmShape): VmShape {
  if (!Number.isInteger(s.vcpus) || s.vcpus < 1 || s.vcpus > 64)
    throw new RangeError(`shape.vcpus must be 1..64`);
  if (!Number.isInteger(s.memoryMiB) || s.memoryMiB < 128 || s.memoryMiB > 1024 * 1024)
    throw new RangeError(`shape.memoryMiB must be 128..1048576`);
  return { vcpus: s.vcpus, memoryMiB: s.memoryMiB };
}

/** How many children one request may fork. */
export function checkForkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_FORK_COUNT)
    throw new RangeError(`count must be 1..${MAX_FORK_COUNT}, got ${count}`);
}
