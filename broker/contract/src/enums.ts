// The broker's enumerations, one source for the database schema (db/ re-exports them; the
// values are part of the schema, see the first migration), the API's views, the portal and the
// agent's contract. Each is a constant object and a union of its values, so `DesktopState.Ready`
// and `'ready'` are the same value and either may be written; the object's keys are its values
// in PascalCase (`in_use` is `InUse`).

/** The union of a constant object's values. */
export type ValueOf<T> = T[keyof T];

/** `on_logoff` → `OnLogoff`, in the type system. */
type Pascal<S extends string> = S extends `${infer H}_${infer T}`
  ? `${Capitalize<H>}${Pascal<T>}`
  : Capitalize<S>;

/** The constant object of the given values, each under its PascalCase name. */
export function enumOf<const V extends readonly string[]>(
  ...values: V
): { readonly [K in V[number] as Pascal<K>]: K } {
  const pascal = (v: string): string =>
    v
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('');
  return Object.fromEntries(values.map((v) => [pascal(v), v])) as {
    readonly [K in V[number] as Pascal<K>]: K;
  };
}

export const UserRole = enumOf('admin', 'user');
export type UserRole = ValueOf<typeof UserRole>;

export const ImageVersionState = enumOf('importing', 'ready', 'published', 'retired', 'failed');
export type ImageVersionState = ValueOf<typeof ImageVersionState>;

export const RefreshPolicy = enumOf('on_logoff', 'nightly', 'never');
export type RefreshPolicy = ValueOf<typeof RefreshPolicy>;

/** floating: a fresh desktop per logon; dedicated: the user keeps one desktop across logons. */
export const AssignmentMode = enumOf('floating', 'dedicated');
export type AssignmentMode = ValueOf<typeof AssignmentMode>;

/** A desktop's network: none (slirp `restrict=on`, the default) or NAT to the outside only. */
export const NetworkMode = enumOf('restricted', 'nat');
export type NetworkMode = ValueOf<typeof NetworkMode>;

export const AgentState = enumOf('enrolling', 'active', 'draining', 'lost');
export type AgentState = ValueOf<typeof AgentState>;

export const TemplateState = enumOf('building', 'ready', 'failed', 'deleted');
export type TemplateState = ValueOf<typeof TemplateState>;

/** forking → ready → assigned → in_use → destroying → destroyed; any live state may become lost. */
export const DesktopState = enumOf(
  'forking',
  'ready',
  'assigned',
  'in_use',
  'destroying',
  'destroyed',
  'lost',
);
export type DesktopState = ValueOf<typeof DesktopState>;

/**
 * Where a desktop being made ready for its user stands (the portal's progress): `reserving`
 * while its VM is being forked for them, `personalizing` while the fork hook makes it theirs
 * (hostname, user, home disk), `ready` once it did (connect now), `ended` when it is gone.
 */
export const DesktopStep = enumOf('reserving', 'personalizing', 'ready', 'ended');
export type DesktopStep = ValueOf<typeof DesktopStep>;

/** A display connection: the owner's control, or an admin's read-only shadow. */
export const SessionMode = enumOf('control', 'view');
export type SessionMode = ValueOf<typeof SessionMode>;

/**
 * The owner's display session on an assigned desktop: connected (a control tunnel is open),
 * disconnected (closed; the pool's disconnect timeout runs), logged_off (a dedicated desktop
 * kept for its user after logoff).
 */
export const SessionState = enumOf('connected', 'disconnected', 'logged_off');
export type SessionState = ValueOf<typeof SessionState>;
