// Database enum types: the values are part of the schema (see the first migration).

export enum UserRole {
  Admin = 'admin',
  User = 'user',
}

export enum ImageVersionState {
  Importing = 'importing',
  Ready = 'ready',
  Published = 'published',
  Retired = 'retired',
  Failed = 'failed',
}

export enum RefreshPolicy {
  OnLogoff = 'on_logoff',
  Nightly = 'nightly',
  Never = 'never',
}

/** floating: a fresh desktop per logon; dedicated: the user keeps one desktop across logons. */
export enum AssignmentMode {
  Floating = 'floating',
  Dedicated = 'dedicated',
}

export enum NetworkMode {
  Restricted = 'restricted',
  Nat = 'nat',
}

export enum AgentState {
  Enrolling = 'enrolling',
  Active = 'active',
  Draining = 'draining',
  Lost = 'lost',
}

export enum TemplateState {
  Building = 'building',
  Ready = 'ready',
  Failed = 'failed',
  Deleted = 'deleted',
}

/** forking → ready → assigned → in_use → destroying → destroyed; any live state may become lost. */
export enum DesktopState {
  Forking = 'forking',
  Ready = 'ready',
  Assigned = 'assigned',
  InUse = 'in_use',
  Destroying = 'destroying',
  Destroyed = 'destroyed',
  Lost = 'lost',
}

export enum SessionMode {
  Control = 'control',
  View = 'view',
}

/**
 * The owner's display session on an assigned desktop: connected (a control tunnel is open),
 * disconnected (closed; the pool's disconnect timeout runs), logged_off (a dedicated desktop
 * kept for its user after logoff).
 */
export enum SessionState {
  Connected = 'connected',
  Disconnected = 'disconnected',
  LoggedOff = 'logged_off',
}
