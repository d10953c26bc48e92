import type { UserRole } from '@forkdesk/db';

/** The signed-in user as requests see it (and as the portal's /auth/me shows it). */
export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  role: UserRole;
}
