import { DesktopState as S, DesktopStep } from '@forkdesk/db';

/**
 * The named sets of desktop states, the one source for every query and check that asks "is it
 * one of these" (SQL takes them as a parameter: `state = ANY($n)`). Two sets answer "alive"
 * differently on purpose: a `destroying` desktop is no one's any more but still has its VM.
 */

/**
 * Desktops that are, or are becoming, someone's working desktop. Only these renew their disk
 * leases (a destroying desktop's lease is left to lapse: fencing), and only these keep their
 * user from being deleted.
 */
export const LIVE_STATES: readonly S[] = [S.Forking, S.Ready, S.Assigned, S.InUse];

/**
 * Desktops that hold (or are about to hold) a VM on their agent: the live ones and those being
 * destroyed. They count against a pool's maximum, are judged against an agent's heartbeat and
 * listed on its card; `destroyed` and `lost` desktops hold none.
 */
export const HOLDING_A_VM: readonly S[] = [...LIVE_STATES, S.Destroying];

/** Desktops given to a user (their owner may connect, log off, be disconnected). */
export const ASSIGNED_STATES: readonly S[] = [S.Assigned, S.InUse];

/**
 * Desktops marked lost when their agent goes silent: a `forking` one is left to the fork
 * timeout (its fork call may still answer).
 */
export const LOST_WITH_AGENT: readonly S[] = [S.Ready, S.Assigned, S.InUse, S.Destroying];

/** The preparation step a desktop is in for its user (the portal's progress, from real state). */
export function desktopStep(state: S, personalizedAt: Date | null): DesktopStep {
  if (state === S.Forking) return DesktopStep.Reserving;
  if (state === S.Destroying || state === S.Destroyed || state === S.Lost) return DesktopStep.Ended;
  return personalizedAt ? DesktopStep.Ready : DesktopStep.Personalizing;
}
