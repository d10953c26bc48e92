/** The portal's one way to call the broker: JSON, session cookie, CSRF header, clear errors. */
import type { ErrorBody } from '@forkdesk/broker-contract';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Field messages of a 400 (class-validator), when the broker sent them. */
    readonly fields: string[] = [],
    /** Seconds the broker asked us to wait (429 / 503 Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const CSRF_COOKIE = 'forkdesk_csrf';
const CSRF_HEADER = 'x-csrf-token';

/** The double-submit CSRF token the broker set as a readable cookie. */
export function csrfToken(cookie: string): string | undefined {
  const pair = cookie
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  return pair ? decodeURIComponent(pair.slice(CSRF_COOKIE.length + 1)) : undefined;
}

/** Turns a broker error answer into an ApiError a person can read. */
export async function toApiError(res: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> = {};
  try {
    body = (await res.json()) as Partial<ErrorBody>;
  } catch {
    // not JSON: fall back to the status text
  }
  const fields = Array.isArray(body.message) ? body.message : [];
  const message =
    (typeof body.message === 'string' && body.message) ||
    fields.join('; ') ||
    body.error ||
    res.statusText ||
    `HTTP ${res.status}`;
  const retry = Number(res.headers.get('retry-after'));
  return new ApiError(
    res.status,
    message,
    fields,
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Called with every ApiError before it is thrown (the app signs out on 401). */
let errorListener: ((err: ApiError, path: string) => void) | undefined;
export function onApiError(listener: typeof errorListener): void {
  errorListener = listener;
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown } = {},
  deps: { fetch: Fetch; cookie: () => string } = {
    fetch: (i, r) => fetch(i, r),
    cookie: () => document.cookie,
  },
): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const token = csrfToken(deps.cookie());
  if (method !== 'GET' && token) headers[CSRF_HEADER] = token;
  const res = await deps.fetch(`/api${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) {
    const err = await toApiError(res);
    errorListener?.(err, path);
    throw err;
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}
