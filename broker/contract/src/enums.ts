// The broker's enumerations, one source for the database schema (db/ re-exports them; the
// values are part of the schema, see the first migration), the API's views, the portal and the
// agent's contract. Each is a constant object and a union of its values, so `DesktopState.Ready`
// and `'ready'` are the same value and either may be written.

/** The union of a constant object's values. */
export type ValueOf<T> = T[keyof T];

export const UserRole = {
  Admin: 'admin',
  User: 'user',
} as const;
export type UserRole = ValueOf<typeof UserRole>;

export const ImageVersionState = {
  Importing: 'importing',
  Ready: 'ready',
  Published: 'published',
  Retired: 'retired',
  Failed: 'failed',
} as const;
export type ImageVersionState = ValueOf<typeof ImageVersionState>;

export const RefreshPolicy = {
  OnLogoff: 'on_logoff',
  Nightly: 'nightly',
  Never: 'never',
} as const;
export type RefreshPolicy = ValueOf<typeof RefreshPolicy>;

/** floating: a fresh desktop per logon; dedicated: the user keeps one desktop across logons. */
export const AssignmentMode = {
  Floating: 'floating',
  Dedicated: 'dedicated',
} as const;
export type AssignmentMode = ValueOf<typeof AssignmentMode>;

/** A desktop's network: none (slirp `restrict=on`, the default) or NAT to the outside only. */
export const NetworkMode = {
  Restricted: 'restricted',
  Nat: 'nat',
} as const;
export type NetworkMode = ValueOf<typeof NetworkMode>;

export const AgentState = {
  Enrolling: 'enrolling',
  Active: 'active',
  Draining: 'draining',
  Lost: 'lost',
} as const;
export type AgentState = ValueOf<typeof AgentState>;

export const TemplateState = {
  Building: 'building',
  Ready: 'ready',
  Failed: 'failed',
  Deleted: 'deleted',
} as const;
export type TemplateState = ValueOf<typeof TemplateState>;

/** forking → ready → assigned → in_use → destroying → destroyed; any live state may become lost. */
export const DesktopState = {
  Forking: 'forking',
  Ready: 'ready',
  Assigned: 'assigned',
  InUse: 'in_use',
  Destroying: 'destroying',
  Destroyed: 'destroyed',
  Lost: 'lost',
} as const;
export type DesktopState = ValueOf<typeof DesktopState>;

/**
 * Where a desktop being made ready for its user stands (the portal's progress): `reserving`
 * while its VM is being forked for them, `personalizing` while the fork hook makes it theirs
 * (hostname, user, home disk), `ready` once it did (connect now), `ended` when it is gone.
 */
export const DesktopStep = {
  Reserving: 'reserving',
  Personalizing: 'personalizing',
  Ready: 'ready',
  Ended: 'ended',
} as const;
export type DesktopStep = ValueOf<typeof DesktopStep>;

/** A display connection: the owner's control, or an admin's read-only shadow. */
export const SessionMode = {
  Control: 'control',
  View: 'view',
} as const;
export type SessionMode = ValueOf<typeof SessionMode>;

/**
 * The owner's display session on an assigned desktop: connected (a control tunnel is open),
 * disconnected (closed; the pool's disconnect timeout runs), logged_off (a dedicated desktop
 * kept for its user after logoff).
 */
export const SessionState = {
  Connected: 'connected',
  Disconnected: 'disconnected',
  LoggedOff: 'logged_off',
} as const;
export type SessionState = ValueOf<typeof SessionState>;
