/** The signed-in user as requests see it (and as the portal's /auth/me shows it). */
export type { SessionUser } from '@forkdesk/broker-contract';
