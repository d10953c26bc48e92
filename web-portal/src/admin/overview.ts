/** Chart rows from the admin API answers (pure). */
import type { AgentView, PoolView } from '@forkdesk/broker-contract';
import type { BarRow } from '../components/charts';

const POOL_LEGEND = [
  { label: 'in use', tone: 'blue' },
  { label: 'spare', tone: 'green' },
  { label: 'starting', tone: 'amber' },
];

/** Desktops per pool by state, from the broker's counts. */
export function poolRows(pools: PoolView[]): BarRow[] {
  return pools.map((p) => {
    const c = p.desktops;
    return {
      label: p.name,
      segments: [
        { label: 'in use', value: (c.in_use ?? 0) + (c.assigned ?? 0), tone: 'blue' },
        { label: 'spare', value: c.ready ?? 0, tone: 'green' },
        { label: 'starting', value: c.forking ?? 0, tone: 'amber' },
      ],
    };
  });
}

const HOST_LEGEND = [
  { label: 'desktops (private)', tone: 'blue' },
  { label: 'host & templates', tone: 'grey' },
  { label: 'free', tone: 'green' },
];

const gib = (v: number): number => Math.round((v / 1024) * 10) / 10;

/** Memory per host in GiB: what desktops hold privately, the rest in use, and what is free. */
export function hostRows(agents: AgentView[]): BarRow[] {
  return agents.map((a) => {
    const priv = a.desktops.reduce((sum, d) => sum + (d.privateMib ?? 0), 0);
    const used = Math.max(0, a.totalMib - a.availableMib);
    return {
      label: a.name,
      segments: [
        { label: 'desktops (private)', value: gib(Math.min(priv, used)), tone: 'blue' },
        { label: 'host & templates', value: gib(Math.max(0, used - priv)), tone: 'grey' },
        { label: 'free', value: gib(Math.max(0, a.availableMib)), tone: 'green' },
      ],
    };
  });
}

/** The two bar charts (the overview shows both, the agents page the hosts'). */
export const poolChart = (pools: PoolView[]) => ({
  title: 'Desktops per pool',
  rows: poolRows(pools),
  unit: '',
  legend: POOL_LEGEND,
});
export const hostChart = (agents: AgentView[]) => ({
  title: 'Memory per host',
  rows: hostRows(agents),
  unit: 'GiB',
  legend: HOST_LEGEND,
});

export interface Sample {
  at: number;
  inUse: number;
  spare: number;
}

/** Totals of one poll, for the time chart. */
export function sampleOf(rows: BarRow[], at: number): Sample {
  const sum = (label: string): number =>
    rows.reduce((a, r) => a + (r.segments.find((s) => s.label === label)?.value ?? 0), 0);
  return { at, inUse: sum('in use'), spare: sum('spare') };
}

/** Appends a sample, keeping the newest `keep`. */
export const addSample = (list: Sample[], s: Sample, keep = 360): Sample[] =>
  [...list, s].slice(-keep);
