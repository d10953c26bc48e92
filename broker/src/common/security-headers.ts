import type { NextFunction, Request, Response } from 'express';

/**
 * The portal's Content-Security-Policy: its own scripts and styles only (Vite emits no inline
 * ones), images also from data: and blob: URLs (guacamole-common-js draws the screen's PNG and
 * JPEG tiles through them, the favicon is one), the display tunnel's WebSocket (`ws:`/`wss:`:
 * 'self' does not cover them in every browser), no plugins, no framing by any page.
 */
export const PORTAL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Swagger UI's page carries inline styles and a startup script of its own. */
const DOCS_CSP = PORTAL_CSP.replace(
  "script-src 'self'",
  "script-src 'self' 'unsafe-inline'",
).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");

/** HSTS for a year, sent only over https (over plain http it would mean nothing or worse). */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Headers on every answer (issue 15): the CSP above, no MIME sniffing, no Referer leaving the
 * portal (desktop ids are in its URLs), no framing (clickjacking), HSTS when the request came
 * over https (directly, or through a trusted proxy's X-Forwarded-Proto).
 */
export function securityHeaders() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const docs = req.path.toLowerCase().startsWith('/api/docs');
    res.setHeader('Content-Security-Policy', docs ? DOCS_CSP : PORTAL_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    if (req.secure) res.setHeader('Strict-Transport-Security', HSTS);
    next();
  };
}
