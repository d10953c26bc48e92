import type { CookieOptions } from 'express';

export const SESSION_COOKIE = 'forkdesk_session';
export const CSRF_COOKIE = 'forkdesk_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export const sessionCookieOptions = (secure: boolean, maxAgeMs?: number): CookieOptions => ({
  httpOnly: true,
  sameSite: 'strict',
  secure,
  path: '/',
  maxAge: maxAgeMs,
});

/** Readable by the portal's script, which echoes it in the CSRF header. */
export const csrfCookieOptions = (secure: boolean): CookieOptions => ({
  httpOnly: false,
  sameSite: 'strict',
  secure,
  path: '/',
});
