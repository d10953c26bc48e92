/** One typed function per broker endpoint the portal uses (helpers/BROKER_API.md). */
import { api } from './http';
import type {
  AdminUser,
  Agent,
  AuditEvent,
  AuditFilter,
  Entitlement,
  GoldenImage,
  Group,
  ImageVersion,
  LiveSession,
  MyDesktop,
  MyPool,
  Pool,
  PoolInput,
  Role,
  TunnelTicket,
  User,
} from './types';

const id = (v: string): string => encodeURIComponent(v);
const post = <T>(path: string, body?: unknown): Promise<T> =>
  api<T>(path, { method: 'POST', body });
const patch = <T>(path: string, body: unknown): Promise<T> =>
  api<T>(path, { method: 'PATCH', body });
const del = (path: string): Promise<void> => api<void>(path, { method: 'DELETE' });

/** `?a=1&b=x` from the defined, non-empty values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const auth = {
  me: () => api<{ user: User }>('/auth/me'),
  login: (username: string, password: string) =>
    post<{ user: User }>('/auth/login', { username, password }),
  logout: () => post<void>('/auth/logout'),
  changePassword: (currentPassword: string, newPassword: string) =>
    post<void>('/auth/password', { currentPassword, newPassword }),
};

export const my = {
  pools: () => api<MyPool[]>('/my/pools'),
  open: (poolId: string) => post<{ desktop: MyDesktop }>(`/my/pools/${id(poolId)}/open`),
  desktop: (desktopId: string) => api<MyDesktop>(`/my/desktops/${id(desktopId)}`),
  connect: (desktopId: string) => post<TunnelTicket>(`/my/desktops/${id(desktopId)}/connect`),
  logoff: (desktopId: string) => post<void>(`/my/desktops/${id(desktopId)}/logoff`),
};

export const admin = {
  images: () => api<GoldenImage[]>('/admin/images'),
  createImage: (name: string, description: string) =>
    post<GoldenImage>('/admin/images', { name, description }),
  versions: (imageId: string) => api<ImageVersion[]>(`/admin/images/${id(imageId)}/versions`),
  importVersion: (imageId: string, manifestPath: string) =>
    post<ImageVersion>(`/admin/images/${id(imageId)}/versions`, { manifestPath }),
  versionAction: (versionId: string, action: 'publish' | 'rollback' | 'retire') =>
    post<ImageVersion>(`/admin/versions/${id(versionId)}/${action}`),

  pools: () => api<Pool[]>('/admin/pools'),
  createPool: (input: PoolInput) => post<Pool>('/admin/pools', input),
  updatePool: (poolId: string, input: Partial<PoolInput>) =>
    patch<Pool>(`/admin/pools/${id(poolId)}`, input),
  deletePool: (poolId: string) => del(`/admin/pools/${id(poolId)}`),
  entitlements: (poolId: string) => api<Entitlement[]>(`/admin/pools/${id(poolId)}/entitlements`),
  entitle: (poolId: string, who: { userId: string } | { groupId: string }) =>
    post<Entitlement>(`/admin/pools/${id(poolId)}/entitlements`, who),
  unentitle: (poolId: string, entitlementId: string) =>
    del(`/admin/pools/${id(poolId)}/entitlements/${id(entitlementId)}`),

  users: () => api<AdminUser[]>('/admin/users'),
  createUser: (u: { username: string; displayName: string; password: string; role: Role }) =>
    post<AdminUser>('/admin/users', u),
  updateUser: (userId: string, u: Partial<{ displayName: string; role: Role; password: string }>) =>
    patch<AdminUser>(`/admin/users/${id(userId)}`, u),
  deleteUser: (userId: string) => del(`/admin/users/${id(userId)}`),
  groups: () => api<Group[]>('/admin/groups'),
  createGroup: (name: string) => post<Group>('/admin/groups', { name }),
  addMember: (groupId: string, userId: string) =>
    post<void>(`/admin/groups/${id(groupId)}/members`, { userId }),
  removeMember: (groupId: string, userId: string) =>
    del(`/admin/groups/${id(groupId)}/members/${id(userId)}`),

  sessions: () => api<LiveSession[]>('/admin/sessions'),
  shadow: (desktopId: string) => post<TunnelTicket>(`/admin/sessions/${id(desktopId)}/shadow`),
  forceLogoff: (desktopId: string) => post<void>(`/admin/sessions/${id(desktopId)}/logoff`),

  agents: () => api<Agent[]>('/admin/agents'),
  enrollmentToken: () => post<{ token: string }>('/admin/agents/enrollment-tokens'),

  audit: (f: AuditFilter) =>
    api<AuditEvent[]>(
      `/admin/audit${query({ action: f.action, actor: f.actor, since: f.since, until: f.until, limit: f.limit })}`,
    ),
};
