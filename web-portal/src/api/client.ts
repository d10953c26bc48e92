/** One typed function per broker endpoint the portal uses; the shapes are the broker's contract. */
import type {
  AgentView,
  AuditFilter,
  AuditView,
  AuthResponse,
  ChangePasswordRequest,
  CreateEntitlementRequest,
  CreateImageRequest,
  CreatePoolRequest,
  CreateUserRequest,
  DesktopBrief,
  EnrollmentTokenView,
  EntitlementView,
  GroupView,
  ImageView,
  ImportVersionRequest,
  LoginRequest,
  MyPool,
  OpenResponse,
  PoolView,
  SessionView,
  TunnelGrant,
  UpdatePoolRequest,
  UpdateUserRequest,
  UserView,
  VersionAction,
  VersionView,
} from '@forkdesk/broker-contract';
import { api } from './http';

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
  me: () => api<AuthResponse>('/auth/me'),
  login: (username: string, password: string) =>
    post<AuthResponse>('/auth/login', { username, password } satisfies LoginRequest),
  logout: () => post<void>('/auth/logout'),
  changePassword: (currentPassword: string, newPassword: string) =>
    post<void>('/auth/password', { currentPassword, newPassword } satisfies ChangePasswordRequest),
};

export const my = {
  pools: () => api<MyPool[]>('/my/pools'),
  open: (poolId: string) => post<OpenResponse>(`/my/pools/${id(poolId)}/open`),
  desktop: (desktopId: string) => api<DesktopBrief>(`/my/desktops/${id(desktopId)}`),
  connect: (desktopId: string) => post<TunnelGrant>(`/my/desktops/${id(desktopId)}/connect`),
  logoff: (desktopId: string) => post<void>(`/my/desktops/${id(desktopId)}/logoff`),
};

export const admin = {
  images: () => api<ImageView[]>('/admin/images'),
  createImage: (name: string, description: string) =>
    post<ImageView>('/admin/images', { name, description } satisfies CreateImageRequest),
  versions: (imageId: string) => api<VersionView[]>(`/admin/images/${id(imageId)}/versions`),
  importVersion: (imageId: string, manifestPath: string) =>
    post<VersionView>(`/admin/images/${id(imageId)}/versions`, {
      manifestPath,
    } satisfies ImportVersionRequest),
  versionAction: (versionId: string, action: VersionAction) =>
    post<VersionView>(`/admin/versions/${id(versionId)}/${action}`),

  pools: () => api<PoolView[]>('/admin/pools'),
  createPool: (input: CreatePoolRequest) => post<PoolView>('/admin/pools', input),
  updatePool: (poolId: string, input: UpdatePoolRequest) =>
    patch<PoolView>(`/admin/pools/${id(poolId)}`, input),
  deletePool: (poolId: string) => del(`/admin/pools/${id(poolId)}`),
  entitlements: (poolId: string) =>
    api<EntitlementView[]>(`/admin/pools/${id(poolId)}/entitlements`),
  entitle: (
    poolId: string,
    who: CreateEntitlementRequest & ({ userId: string } | { groupId: string }),
  ) => post<EntitlementView>(`/admin/pools/${id(poolId)}/entitlements`, who),
  unentitle: (poolId: string, entitlementId: string) =>
    del(`/admin/pools/${id(poolId)}/entitlements/${id(entitlementId)}`),

  users: () => api<UserView[]>('/admin/users'),
  createUser: (u: CreateUserRequest) => post<UserView>('/admin/users', u),
  updateUser: (userId: string, u: UpdateUserRequest) =>
    patch<UserView>(`/admin/users/${id(userId)}`, u),
  deleteUser: (userId: string) => del(`/admin/users/${id(userId)}`),
  groups: () => api<GroupView[]>('/admin/groups'),
  createGroup: (name: string) => post<GroupView>('/admin/groups', { name }),
  addMember: (groupId: string, userId: string) =>
    post<void>(`/admin/groups/${id(groupId)}/members`, { userId }),
  removeMember: (groupId: string, userId: string) =>
    del(`/admin/groups/${id(groupId)}/members/${id(userId)}`),

  sessions: () => api<SessionView[]>('/admin/sessions'),
  shadow: (desktopId: string) => post<TunnelGrant>(`/admin/sessions/${id(desktopId)}/shadow`),
  forceLogoff: (desktopId: string) => post<void>(`/admin/sessions/${id(desktopId)}/logoff`),

  agents: () => api<AgentView[]>('/admin/agents'),
  enrollmentToken: () => post<EnrollmentTokenView>('/admin/agents/enrollment-tokens'),

  audit: (f: AuditFilter) =>
    api<AuditView[]>(
      `/admin/audit${query({ action: f.action, actor: f.actor, since: f.since, until: f.until, limit: f.limit })}`,
    ),
};
