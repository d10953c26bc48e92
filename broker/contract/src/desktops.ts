// What an employee's portal reads (`/api/my/…`) and an admin's sessions page (`/api/admin/sessions`).
import type { AssignmentMode, DesktopState, DesktopStep, SessionState } from './enums';
import type { Time } from './time';

/** One desktop of the signed-in user: `GET /api/my/desktops/:id`, and `open`'s answer. */
export interface DesktopBrief<T extends Time = string> {
  id: string;
  state: DesktopState;
  /** How far its preparation for this user is (the portal's progress steps). */
  step: DesktopStep;
  poolId: string;
  /** The owner's session: connected, disconnected, logged_off (dedicated); null before the
   * first connection. */
  sessionState?: SessionState | null;
  /** When the owner's display connection last closed. */
  disconnectedAt?: T | null;
  lastError?: string;
}

/** `POST /api/my/pools/:poolId/open`. */
export interface OpenResponse<T extends Time = string> {
  desktop: DesktopBrief<T>;
}

/** A pool the user is entitled to, with their live desktop in it: `GET /api/my/pools`. */
export interface MyPool<T extends Time = string> {
  pool: {
    id: string;
    name: string;
    vcpus: number;
    memoryMib: number;
    assignmentMode: AssignmentMode;
    persistentHome: boolean;
  };
  desktop: null | {
    id: string;
    state: DesktopState;
    step: DesktopStep;
    /** Set while this is a spare held for the user (not opened yet): held until then. */
    heldUntil: T | null;
    since: T;
    sessionState: SessionState | null;
    disconnectedAt: T | null;
  };
}

/** A desktop assigned to someone: `GET /api/admin/sessions`. */
export interface SessionView<T extends Time = string> {
  desktopId: string;
  state: DesktopState;
  userId: string;
  username: string;
  poolId: string;
  pool: string;
  agent: string | null;
  since: T | null;
  /** A control connection is open right now. */
  connected: boolean;
  sessionState: SessionState | null;
  disconnectedAt: T | null;
  assignmentMode: AssignmentMode;
  privateMib: number | null;
  sharedMib: number | null;
}

/**
 * One display connection (`connect`, an admin's `shadow`): the guacamole-lite tunnel's path on
 * the broker and its encrypted token.
 */
export interface TunnelGrant {
  tunnelPath: string;
  token: string;
}
