import { loadBrokerConfig } from './config';

describe('loadBrokerConfig', () => {
  it('defaults to loopback on 8080', () => {
    const c = loadBrokerConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db' });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: 'postgres://x@127.0.0.1/db',
      publicUrl: 'http://127.0.0.1:8080',
      auth: { secureCookies: false, maxFailedLogins: 5, loginRatePerMin: 30 },
      scheduler: { enabled: true, nightlyHour: 3 },
      ticketTtlS: 30,
    });
    expect(c.tunnelKey).toBeUndefined();
  });

  it('turns Secure cookies on for an https public URL', () => {
    const c = loadBrokerConfig({ DATABASE_URL: 'x', FORKDESK_PUBLIC_URL: 'https://vdi.example' });
    expect(c.auth.secureCookies).toBe(true);
  });

  it('serves TLS with a certificate and key given together: https URL, Secure cookies', () => {
    const c = loadBrokerConfig({
      DATABASE_URL: 'x',
      FORKDESK_TLS_CERT: '/etc/forkdesk/portal.crt',
      FORKDESK_TLS_KEY: '/etc/forkdesk/portal.key',
    });
    expect(c.tls).toEqual({
      certFile: '/etc/forkdesk/portal.crt',
      keyFile: '/etc/forkdesk/portal.key',
    });
    expect(c.publicUrl).toBe('https://127.0.0.1:8080');
    expect(c.auth.secureCookies).toBe(true);
    expect(loadBrokerConfig({ DATABASE_URL: 'x' }).tls).toBeUndefined();
    expect(() => loadBrokerConfig({ DATABASE_URL: 'x', FORKDESK_TLS_CERT: '/c.pem' })).toThrow(
      'FORKDESK_TLS_CERT and FORKDESK_TLS_KEY must be set together',
    );
  });

  it('rejects bad values with a clear message', () => {
    expect(() => loadBrokerConfig({ DATABASE_URL: 'x', FORKDESK_BROKER_PORT: 'eighty' })).toThrow(
      "FORKDESK_BROKER_PORT must be a port number, got 'eighty'",
    );
    expect(() => loadBrokerConfig({})).toThrow(/DATABASE_URL is required/);
    expect(() => loadBrokerConfig({ DATABASE_URL: 'x', FORKDESK_TICKET_TTL_S: '90' })).toThrow(
      /FORKDESK_TICKET_TTL_S must be an integer in 5..60/,
    );
    expect(() => loadBrokerConfig({ DATABASE_URL: 'x', FORKDESK_TUNNEL_KEY: 'c2hvcnQ=' })).toThrow(
      /32 bytes/,
    );
    expect(() => loadBrokerConfig({ DATABASE_URL: 'x', FORKDESK_SCHEDULER: 'maybe' })).toThrow(
      /true or false/,
    );
    expect(() => loadBrokerConfig({ DATABASE_URL: 'x', FORKDESK_HOMES_DIR: 'homes' })).toThrow(
      /FORKDESK_HOMES_DIR must be an absolute path/,
    );
    expect(() => loadBrokerConfig({ DATABASE_URL: 'x', FORKDESK_LEASE_TTL_S: '1' })).toThrow(
      /FORKDESK_LEASE_TTL_S must be an integer in 2..3600/,
    );
  });

  it('keeps home disks under an absolute directory with a lease of a minute by default', () => {
    const c = loadBrokerConfig({ DATABASE_URL: 'x', FORKDESK_HOMES_DIR: '/srv/homes/' });
    expect(c.homes).toEqual({ dir: '/srv/homes', diskMib: 2048, leaseTtlS: 60, leaseGraceS: 10 });
  });
});
