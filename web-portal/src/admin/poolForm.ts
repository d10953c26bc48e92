/** The pool form's values, checks and conversion to the API body (pure). */
import {
  MIN_CPU_LIMIT_PERCENT,
  type AssignmentMode,
  type NetworkMode,
  type PoolSettings,
  type PoolView,
  type RefreshPolicy,
} from '@forkdesk/broker-contract';

export type PoolValues = Record<keyof PoolSettings, string>;

export const POOL_FIELDS: (keyof PoolSettings)[] = [
  'name',
  'imageId',
  'vcpus',
  'memoryMib',
  'cpuLimitPercent',
  'minSpare',
  'maxSize',
  'refreshPolicy',
  'idleTimeoutMin',
  'networkMode',
  'assignmentMode',
  'persistentHome',
];

export const EMPTY_POOL: PoolValues = {
  name: '',
  imageId: '',
  vcpus: '2',
  memoryMib: '2048',
  cpuLimitPercent: '',
  minSpare: '1',
  maxSize: '10',
  refreshPolicy: 'on_logoff',
  idleTimeoutMin: '60',
  networkMode: 'restricted',
  assignmentMode: 'floating',
  persistentHome: 'false',
};

export const valuesOf = (p: PoolView): PoolValues => ({
  name: p.name,
  imageId: p.imageId,
  vcpus: String(p.vcpus),
  memoryMib: String(p.memoryMib),
  cpuLimitPercent: p.cpuLimitPercent === null ? '' : String(p.cpuLimitPercent),
  minSpare: String(p.minSpare),
  maxSize: String(p.maxSize),
  refreshPolicy: p.refreshPolicy,
  idleTimeoutMin: String(p.idleTimeoutMin),
  networkMode: p.networkMode,
  assignmentMode: p.assignmentMode,
  persistentHome: String(p.persistentHome),
});

const INT_LIMITS: Partial<Record<keyof PoolSettings, [number, number, string]>> = {
  vcpus: [1, 64, 'vCPUs'],
  memoryMib: [256, 262144, 'Memory'],
  minSpare: [0, 1000, 'Spare desktops'],
  maxSize: [1, 10000, 'Maximum size'],
  idleTimeoutMin: [0, 10080, 'Disconnect timeout'],
};

/** A whole number from `min` to `max`, as typed. */
function isWholeIn(text: string, min: number, max: number): boolean {
  const n = Number(text);
  return text.trim() !== '' && Number.isInteger(n) && n >= min && n <= max;
}

/** Problems a person can fix before the broker sees the form. */
export function poolProblems(v: PoolValues): Partial<Record<keyof PoolSettings, string>> {
  const p: Partial<Record<keyof PoolSettings, string>> = {};
  // The broker's rule: its own pools ("Standard desktop") must stay editable.
  if (!/^[a-z0-9][a-z0-9 ._-]{0,63}$/i.test(v.name.trim()))
    p.name = 'Use 1–64 letters, digits, spaces or . _ -, starting with a letter or digit.';
  if (!v.imageId) p.imageId = 'Choose the golden image.';
  for (const [key, [min, max, label]] of Object.entries(INT_LIMITS) as [
    keyof PoolSettings,
    [number, number, string],
  ][]) {
    if (!isWholeIn(v[key], min, max))
      p[key] = `${label} must be a whole number from ${min} to ${max}.`;
  }
  if (!p.minSpare && !p.maxSize && Number(v.minSpare) > Number(v.maxSize))
    p.minSpare = 'Spare desktops cannot exceed the maximum size.';
  const limit = v.cpuLimitPercent.trim();
  const max = Number(v.vcpus) * 100;
  if (limit && !p.vcpus && !isWholeIn(limit, MIN_CPU_LIMIT_PERCENT, max))
    p.cpuLimitPercent = `CPU limit must be a whole number from ${MIN_CPU_LIMIT_PERCENT} to ${max} (100 per vCPU), or empty for no limit.`;
  return p;
}

export function toPoolInput(v: PoolValues): PoolSettings {
  return {
    name: v.name.trim(),
    imageId: v.imageId,
    vcpus: Number(v.vcpus),
    memoryMib: Number(v.memoryMib),
    cpuLimitPercent: v.cpuLimitPercent.trim() === '' ? null : Number(v.cpuLimitPercent),
    minSpare: Number(v.minSpare),
    maxSize: Number(v.maxSize),
    refreshPolicy: v.refreshPolicy as RefreshPolicy,
    idleTimeoutMin: Number(v.idleTimeoutMin),
    networkMode: v.networkMode as NetworkMode,
    assignmentMode: v.assignmentMode as AssignmentMode,
    persistentHome: v.persistentHome === 'true',
  };
}

/** Only the fields that changed, for PATCH. */
export function changedFields(before: PoolSettings, after: PoolSettings): Partial<PoolSettings> {
  const out: Partial<PoolSettings> = {};
  for (const k of POOL_FIELDS) {
    if (before[k] !== after[k]) (out as Record<string, unknown>)[k] = after[k];
  }
  return out;
}
