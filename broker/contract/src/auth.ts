import type { UserRole } from './enums';

/** The signed-in user as requests see it: `{ user }` from login and `GET /api/auth/me`. */
export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  role: UserRole;
}

export interface AuthResponse {
  user: SessionUser;
}

/** `POST /api/auth/login`. */
export interface LoginRequest {
  username: string;
  password: string;
}

/** `POST /api/auth/password`. */
export interface ChangePasswordRequest {
  currentPassword: string;
  newPassword: string;
}
