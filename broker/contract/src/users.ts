// Users and groups: `/api/admin/users`, `/api/admin/groups`.
import type { UserRole } from './enums';
import type { Time } from './time';

export interface UserView<T extends Time = string> {
  id: string;
  username: string;
  displayName: string;
  role: UserRole;
  disabled: boolean;
  lockedUntil: T | null;
  createdAt: T;
  groups: { id: string; name: string }[];
}

export interface GroupView {
  id: string;
  name: string;
  description: string;
  members: { id: string; username: string }[];
}

export interface CreateUserRequest {
  username: string;
  displayName?: string;
  password: string;
  role?: UserRole;
}

export interface UpdateUserRequest {
  displayName?: string;
  password?: string;
  role?: UserRole;
  disabled?: boolean;
}

export interface CreateGroupRequest {
  name: string;
  description?: string;
}

export interface AddMemberRequest {
  userId: string;
}
