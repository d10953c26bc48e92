import { GuacStatus } from '@forkdesk/broker-contract';
import Guacamole from 'guacamole-common-js';
import { Backoff, connectData, retryable, statusMessage, tunnelUrl } from './reconnect';

describe('reconnect policy', () => {
  it('backs off exponentially up to a cap and gives up after the limit', () => {
    const b = new Backoff(1000, 5000, 5);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      1000,
      2000,
      4000,
      5000,
      5000,
      null,
    ]);
    expect(b.attempts).toBe(5);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it('retries drops but not closed sessions or vanished desktops', () => {
    expect(retryable(undefined)).toBe(true);
    expect(retryable(GuacStatus.UPSTREAM_TIMEOUT)).toBe(true);
    expect(retryable(GuacStatus.CLIENT_UNAUTHORIZED)).toBe(true); // a fresh ticket is fetched
    expect(retryable(GuacStatus.SESSION_CLOSED)).toBe(false);
    expect(retryable(GuacStatus.UPSTREAM_NOT_FOUND)).toBe(false);
  });

  it('reads the status codes the client library reports', () => {
    // The broker contract's codes (the gateway sends them) are guacamole-common-js's.
    const codes: Record<string, unknown> = { ...Guacamole.Status.Code };
    for (const [name, code] of Object.entries(GuacStatus))
      expect([name, codes[name]]).toEqual([name, code]);
  });

  it('explains statuses', () => {
    expect(statusMessage(GuacStatus.SESSION_CLOSED)).toBe('The desktop session was closed.');
    expect(statusMessage(undefined)).toMatch(/dropped/);
    expect(statusMessage(0x0123)).toBe('The display gateway reported an error (0x0123).');
  });

  it('builds the tunnel URL and connect query', () => {
    expect(tunnelUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, '/tunnel')).toBe(
      'ws://127.0.0.1:8080/tunnel',
    );
    expect(tunnelUrl({ protocol: 'https:', host: 'vdi.example' }, 'tunnel')).toBe(
      'wss://vdi.example/tunnel',
    );
    expect(connectData('a+b/c=', { width: 1280, height: 720 }, 96)).toBe(
      'token=a%2Bb%2Fc%3D&width=1280&height=720&dpi=96',
    );
  });
});
