/** How broker desktop states read to an employee, and where opening one stands. */
import type { DesktopState, DesktopStep } from '@forkdesk/broker-contract';

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

/** The steps of opening a desktop, as the broker (and then the display) reports them. */
export const OPEN_STEPS = [
  'Reserving a desktop',
  'Personalizing it for you',
  'Connecting the display',
  'Ready',
] as const;

/**
 * Where opening stands: the broker's request, the desktop's preparation (its `step`), the
 * display connecting (until its first picture with content: a connected but blank display is
 * still connecting), the picture shown.
 */
export type OpenPhase = 'requesting' | 'desktop' | 'connecting' | 'shown' | 'failed';

/** Index into OPEN_STEPS for the step in progress. */
export function openStep(phase: OpenPhase, step?: DesktopStep): number {
  switch (phase) {
    case 'requesting':
      return 0;
    case 'desktop':
      return step === 'personalizing' ? 1 : step === 'ready' ? 2 : 0;
    case 'connecting':
      return 2;
    case 'shown':
      return 3;
    case 'failed':
      return -1;
  }
}

/** The card's words for a desktop the broker is preparing or holds for the user. */
export function preparingNote(
  d: { step: DesktopStep; heldUntil: string | null } | null,
): string | undefined {
  if (!d || d.step === 'ended') return undefined;
  if (d.step === 'reserving') return 'Reserving a desktop for you…';
  if (d.step === 'personalizing') return 'Personalizing a desktop for you…';
  if (d.heldUntil) return 'Ready for you: it opens at once.';
  return undefined;
}

/** A desktop the broker will let us connect to (its fork hook has made it ours). */
export const connectable = (d: { state: DesktopState; step: DesktopStep }): boolean =>
  (d.state === 'ready' || d.state === 'assigned' || d.state === 'in_use') && d.step === 'ready';

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
