/** How broker desktop states read to an employee, and where opening one stands. */
import type { DesktopState } from '@forkdesk/broker-contract';

export type EmployeeStatus = 'starting' | 'ready' | 'in use' | 'ending' | 'none';

export function employeeStatus(state: DesktopState | null | undefined): EmployeeStatus {
  switch (state) {
    case 'forking':
      return 'starting';
    case 'ready':
    case 'assigned':
      return 'ready';
    case 'in_use':
      return 'in use';
    case 'destroying':
      return 'ending';
    default:
      return 'none';
  }
}

export const OPEN_STEPS = [
  'Requesting a desktop',
  'Starting the desktop',
  'Connecting the display',
  'Connected',
] as const;

export type OpenPhase = 'requesting' | 'desktop' | 'connecting' | 'connected' | 'failed';

/** Index into OPEN_STEPS for the step in progress. */
export function openStep(phase: OpenPhase, state?: DesktopState): number {
  switch (phase) {
    case 'requesting':
      return 0;
    case 'desktop':
      return state === 'forking' || state === undefined ? 1 : 2;
    case 'connecting':
      return 2;
    case 'connected':
      return 3;
    case 'failed':
      return -1;
  }
}

/** A desktop the broker will let us connect to. */
export const connectable = (state: DesktopState): boolean =>
  state === 'ready' || state === 'assigned' || state === 'in_use';

/** A desktop that is gone: opening again makes a new one. */
export const ended = (state: DesktopState): boolean =>
  state === 'destroying' || state === 'destroyed' || state === 'lost';

/** "3 min", "2 h 5 min", "just now" since an ISO time. */
export function since(iso: string, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** What the employee should know about a desktop they left: it is still theirs. */
export function sessionNote(
  d: { sessionState?: string | null; disconnectedAt?: string | null } | null,
  now: number = Date.now(),
): string | undefined {
  if (d?.sessionState === 'disconnected') {
    const when = d.disconnectedAt ? since(d.disconnectedAt, now) : '';
    const ago = when && when !== 'just now' ? `${when} ago` : when;
    return `Disconnected${ago ? ` ${ago}` : ''}: open it to continue where you left off.`;
  }
  if (d?.sessionState === 'logged_off') return 'Kept for you: open it to continue.';
  return undefined;
}
