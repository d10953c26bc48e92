import { randomBytes, timingSafeEqual } from 'crypto';
import type { NextFunction, Request, Response } from 'express';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, csrfCookieOptions } from './cookies';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

const same = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Agents call /v1 with a bearer token and never hold a session cookie: a browser can't be made
 * to send that header, so those calls need no CSRF token. Routing ignores case, so neither does
 * this check; a request that carries a session cookie is checked whatever its path.
 */
function isAgentCall(req: Request): boolean {
  const cookies = req.cookies as Record<string, string | undefined>;
  return !cookies[SESSION_COOKIE] && req.path.toLowerCase().startsWith('/v1/');
}

/**
 * Double-submit CSRF: every response hands out a readable token cookie if the browser has
 * none; every state-changing request (any path, any spelling) must echo it in a header. A page
 * on another site can neither read our cookie nor set our header.
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
    if (SAFE.has(req.method) || isAgentCall(req)) return next();
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

/**
 * The API speaks JSON only: a body of any other type (an HTML form's urlencoded or multipart,
 * text/plain, which browsers send cross-site without a preflight) is refused before routing.
 */
export function jsonBodiesOnly() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const hasBody =
      Number(req.header('content-length') ?? 0) > 0 ||
      req.header('transfer-encoding') !== undefined;
    if (SAFE.has(req.method) || !hasBody || req.is('application/json')) return next();
    res.status(415).json({
      statusCode: 415,
      message: `request bodies must be application/json (got ${req.header('content-type') ?? 'no content type'})`,
      error: 'Unsupported Media Type',
    });
  };
}
