/**
 * The broker's HTTP API as the portal uses it, for fault tests: a cookie jar, the CSRF cookie
 * echoed on writes, and a deadline on every call (a hung broker fails the test, not jest).
 */
import type { Credentials } from '../support/stack';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  /** Milliseconds from the request to the whole answer. */
  ms: number;
  retryAfter: string | null;
}

export class PortalApi {
  private readonly cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  static async login(baseUrl: string, c: Credentials): Promise<PortalApi> {
    const api = new PortalApi(baseUrl);
    await api.call('GET', '/health'); // hands out the CSRF cookie
    const res = await api.call('POST', '/api/auth/login', c);
    if (res.status !== 200) throw new Error(`login ${c.username}: ${res.status}`);
    return api;
  }

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { connection: 'close' };
    if (this.cookies.size)
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const csrf = this.cookies.get('forkdesk_csrf');
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = decodeURIComponent(csrf);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const t0 = Date.now();
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return {
      status: res.status,
      body: parsed as T,
      ms: Date.now() - t0,
      retryAfter: res.headers.get('retry-after'),
    };
  }

  /** "Open" on a pool: the desktop's id and state (throws on anything but 200). */
  async open(poolId: string): Promise<{ id: string; state: string }> {
    const r = await this.call<{ desktop: { id: string; state: string } }>(
      'POST',
      `/api/my/pools/${poolId}/open`,
    );
    if (r.status !== 200) throw new Error(`open: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.desktop;
  }

  /** A display grant for the user's desktop: the HTTP status (200 with a token when usable). */
  async connect(desktopId: string): Promise<ApiAnswer<{ token?: string; tunnelPath?: string }>> {
    return this.call('POST', `/api/my/desktops/${desktopId}/connect`);
  }
}
