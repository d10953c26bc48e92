/** When a dropped display socket is worth reconnecting, and how long to wait. */
import { GuacStatus } from '@forkdesk/broker-contract';

/** A person's sentence for a Guacamole status. */
export function statusMessage(code: number | undefined): string {
  switch (code) {
    case undefined:
      return 'The connection to the desktop dropped.';
    case GuacStatus.SESSION_CLOSED:
    case GuacStatus.RESOURCE_CLOSED:
      return 'The desktop session was closed.';
    case GuacStatus.SESSION_CONFLICT:
      return 'The desktop was opened somewhere else.';
    case GuacStatus.SESSION_TIMEOUT:
      return 'The desktop session timed out.';
    case GuacStatus.CLIENT_UNAUTHORIZED:
    case GuacStatus.CLIENT_FORBIDDEN:
      return 'The display ticket was refused.';
    case GuacStatus.UPSTREAM_NOT_FOUND:
    case GuacStatus.RESOURCE_NOT_FOUND:
      return 'The desktop no longer exists.';
    case GuacStatus.UPSTREAM_TIMEOUT:
    case GuacStatus.UPSTREAM_UNAVAILABLE:
    case GuacStatus.UPSTREAM_ERROR:
      return 'The desktop is not answering.';
    case GuacStatus.CLIENT_TIMEOUT:
      return 'The connection timed out.';
    case GuacStatus.SERVER_BUSY:
    case GuacStatus.CLIENT_TOO_MANY:
      return 'The display gateway is busy.';
    default:
      return `The display gateway reported an error (0x${code.toString(16).padStart(4, '0')}).`;
  }
}

/** A drop is retried unless the session was closed on purpose or the desktop is gone. */
export function retryable(code: number | undefined): boolean {
  const final: number[] = [
    GuacStatus.SESSION_CLOSED,
    GuacStatus.RESOURCE_CLOSED,
    GuacStatus.SESSION_CONFLICT,
    GuacStatus.UPSTREAM_NOT_FOUND,
    GuacStatus.RESOURCE_NOT_FOUND,
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
