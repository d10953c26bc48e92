// Parsers of /proc memory files (pure) and their readers.
import { readFileSync } from 'fs';
import { MemoryUsage } from '@forkdesk/agent-contract';

/** Parses "Key:   123 kB" lines into a map of KiB values. */
export function parseKbFields(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_()0-9]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** Private = Anonymous + Swap (what this VM alone costs); shared = file pages it maps. */
export function usageFromSmapsRollup(text: string): MemoryUsage {
  const f = parseKbFields(text);
  const anon = f.get('Anonymous') ?? 0;
  const swap = f.get('Swap') ?? 0;
  const rss = f.get('Rss') ?? 0;
  return { privateMiB: round1((anon + swap) / 1024), sharedMiB: round1((rss - anon) / 1024) };
}

export interface HostMemory {
  totalMiB: number;
  availableMiB: number;
}

export function hostMemoryFromMeminfo(text: string): HostMemory {
  const f = parseKbFields(text);
  const total = f.get('MemTotal');
  const avail = f.get('MemAvailable');
  if (total === undefined || avail === undefined)
    throw new Error('meminfo lacks MemTotal/MemAvailable');
  return { totalMiB: Math.floor(total / 1024), availableMiB: Math.floor(avail / 1024) };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export function readProcessMemory(pid: number): MemoryUsage | undefined {
  try {
    return usageFromSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function readHostMemory(): HostMemory {
  return hostMemoryFromMeminfo(readFileSync('/proc/meminfo', 'utf8'));
}

/**
 * Refuses when `count` more VMs of `perVmMiB` each would take available memory under the
 * reserve; the message says by how much.
 */
export function checkReserve(
  host: HostMemory,
  reserveMiB: number,
  count: number,
  perVmMiB: number,
): void {
  const after = host.availableMiB - count * perVmMiB;
  if (after < reserveMiB) {
    throw new InsufficientMemoryError(
      `not enough memory: ${count} fork(s) of ~${perVmMiB} MiB would leave ${after} MiB available, ` +
        `under the reserve of ${reserveMiB} MiB (available now: ${host.availableMiB} MiB)`,
    );
  }
}

export class InsufficientMemoryError extends Error {
  override name = 'InsufficientMemoryError';
}
