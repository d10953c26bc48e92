// Bearer-token check in front of everything the HTTP server serves (controllers, OpenAPI,
// metrics, unknown paths), except the public paths. Runs as the first middleware so no
// route, not even a 404, answers an unauthenticated caller.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

type Next = (err?: unknown) => void;

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time comparison of the presented token with the expected one. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? '');
  return m ? m[1] : undefined;
}

function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0];
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

export function bearerAuth(
  expectedToken: string,
  publicPaths: readonly string[],
  onRefused: () => void,
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  return (req, res, next) => {
    if (publicPaths.includes(pathOf(req.url))) return next();
    const token = bearerToken(req.headers.authorization);
    if (token !== undefined && tokenMatches(token, expectedToken)) return next();
    onRefused();
    const message = token === undefined ? 'missing bearer token' : 'invalid bearer token';
    res.statusCode = 401;
    res.setHeader('WWW-Authenticate', 'Bearer realm="forkdesk-agent"');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ statusCode: 401, message }));
  };
}
