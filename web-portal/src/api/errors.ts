/** Turning broker errors into sentences and per-field messages for forms. */
import { ApiError } from './http';

/** "no host has room" → "No host has room.": a broker message as a sentence of its own. */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** A sentence a person can act on, for any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const wait = err.retryAfter ? ` Try again in ${err.retryAfter} s.` : '';
    switch (err.status) {
      case 401:
        return err.message && err.message !== 'Unauthorized'
          ? sentence(err.message)
          : 'Your session has ended. Please sign in again.';
      case 403:
        return 'You are not allowed to do this (or the page is stale: reload it).';
      case 404:
        return 'Not found: it may have been removed, or it is not yours.';
      case 409:
        return err.message ? sentence(err.message) : 'That name is already taken.';
      case 429:
        return `Too many attempts.${wait || ' Wait a moment and try again.'}`;
      case 503:
        return `${err.message ? sentence(err.message) : 'No capacity right now.'}${wait}`;
      default:
        if (err.status >= 500 && !err.fields.length)
          return sentence(`The broker had a problem (${err.status}): ${err.message}`);
        return sentence(err.message);
    }
  }
  if (err instanceof TypeError) return 'Cannot reach the broker. Check your connection.';
  return sentence(err instanceof Error ? err.message : String(err));
}

/**
 * class-validator messages start with the property name ("maxSize must not be less than 1");
 * this sorts them onto the form's fields, leaving the rest for a form-level message.
 */
export function fieldErrors(
  err: unknown,
  fields: readonly string[],
): { byField: Record<string, string>; rest: string[] } {
  const byField: Record<string, string> = {};
  const rest: string[] = [];
  if (!(err instanceof ApiError) || err.fields.length === 0) return { byField, rest };
  for (const msg of err.fields) {
    const name = fields.find((f) => msg === f || msg.startsWith(`${f} `));
    if (name) byField[name] = byField[name] ? `${byField[name]}; ${msg}` : msg;
    else rest.push(msg);
  }
  return { byField, rest };
}

/** What a form's top alert shows: the error when no field shows it, else the unplaced messages. */
export function formError(
  err: unknown,
  fe: { byField: Record<string, string>; rest: string[] },
): unknown {
  if (err && !Object.keys(fe.byField).length) return err;
  return fe.rest.length ? fe.rest.join('; ') : null;
}
