import { randomBytes, timingSafeEqual } from 'crypto';
import type { NextFunction, Request, Response } from 'express';
import { CSRF_COOKIE, CSRF_HEADER, csrfCookieOptions } from './cookies';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

const same = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Double-submit CSRF: every response hands out a readable token cookie if the browser has
 * none; every state-changing /api call must echo it in a header. A page on another site can
 * neither read our cookie nor set our header. Agent routes (/v1, bearer auth) are outside.
 */
export function csrfMiddleware(secureCookies: boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const cookie = (req.cookies as Record<string, string | undefined>)[CSRF_COOKIE];
    if (!cookie) {
      res.cookie(
        CSRF_COOKIE,
        randomBytes(24).toString('base64url'),
        csrfCookieOptions(secureCookies),
      );
    }
    if (SAFE.has(req.method) || !req.path.startsWith('/api/')) return next();
    const header = req.header(CSRF_HEADER);
    if (!cookie || !header || !same(cookie, header)) {
      res.status(403).json({
        statusCode: 403,
        message: `missing or wrong ${CSRF_HEADER} header (echo the ${CSRF_COOKIE} cookie)`,
        error: 'Forbidden',
      });
      return;
    }
    next();
  };
}
