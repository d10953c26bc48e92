/** When a dropped display socket is worth reconnecting, and how long to wait. */

/** Guacamole status codes (guacamole-common-js Guacamole.Status.Code). */
export const STATUS = {
  SUCCESS: 0x0000,
  SERVER_ERROR: 0x0200,
  SERVER_BUSY: 0x0201,
  UPSTREAM_TIMEOUT: 0x0202,
  UPSTREAM_ERROR: 0x0203,
  RESOURCE_NOT_FOUND: 0x0204,
  RESOURCE_CLOSED: 0x0206,
  UPSTREAM_NOT_FOUND: 0x0207,
  UPSTREAM_UNAVAILABLE: 0x0208,
  SESSION_CONFLICT: 0x0209,
  SESSION_TIMEOUT: 0x020a,
  SESSION_CLOSED: 0x020b,
  CLIENT_BAD_REQUEST: 0x0300,
  CLIENT_UNAUTHORIZED: 0x0301,
  CLIENT_FORBIDDEN: 0x0303,
  CLIENT_TIMEOUT: 0x0308,
  CLIENT_TOO_MANY: 0x031d,
} as const;

/** A person's sentence for a Guacamole status. */
export function statusMessage(code: number | undefined): string {
  switch (code) {
    case undefined:
      return 'The connection to the desktop dropped.';
    case STATUS.SESSION_CLOSED:
    case STATUS.RESOURCE_CLOSED:
      return 'The desktop session was closed.';
    case STATUS.SESSION_CONFLICT:
      return 'The desktop was opened somewhere else.';
    case STATUS.SESSION_TIMEOUT:
      return 'The desktop session timed out.';
    case STATUS.CLIENT_UNAUTHORIZED:
    case STATUS.CLIENT_FORBIDDEN:
      return 'The display ticket was refused.';
    case STATUS.UPSTREAM_NOT_FOUND:
    case STATUS.RESOURCE_NOT_FOUND:
      return 'The desktop no longer exists.';
    case STATUS.UPSTREAM_TIMEOUT:
    case STATUS.UPSTREAM_UNAVAILABLE:
    case STATUS.UPSTREAM_ERROR:
      return 'The desktop is not answering.';
    case STATUS.CLIENT_TIMEOUT:
      return 'The connection timed out.';
    case STATUS.SERVER_BUSY:
    case STATUS.CLIENT_TOO_MANY:
      return 'The display gateway is busy.';
    default:
      return `The display gateway reported an error (0x${code.toString(16).padStart(4, '0')}).`;
  }
}

/** A drop is retried unless the session was closed on purpose or the desktop is gone. */
export function retryable(code: number | undefined): boolean {
  const final: number[] = [
    STATUS.SESSION_CLOSED,
    STATUS.RESOURCE_CLOSED,
    STATUS.SESSION_CONFLICT,
    STATUS.UPSTREAM_NOT_FOUND,
    STATUS.RESOURCE_NOT_FOUND,
  ];
  return code === undefined || !final.includes(code);
}

/** Exponential backoff with a cap and a limit; reset after a good connection. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 10_000,
    readonly maxAttempts = 8,
  ) {}

  /** Milliseconds before the next try, or null when it is time to give up. */
  next(): number | null {
    if (this.attempt >= this.maxAttempts) return null;
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt += 1;
    return delay;
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** The WebSocket URL of the tunnel on the page's own origin. */
export function tunnelUrl(loc: { protocol: string; host: string }, tunnelPath: string): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  const path = tunnelPath.startsWith('/') ? tunnelPath : `/${tunnelPath}`;
  return `${scheme}://${loc.host}${path}`;
}

/** The query guacamole-lite reads on connect: the encrypted token plus the screen we want. */
export function connectData(
  token: string,
  size: { width: number; height: number },
  dpi: number,
): string {
  return new URLSearchParams({
    token,
    width: String(size.width),
    height: String(size.height),
    dpi: String(dpi),
  }).toString();
}
