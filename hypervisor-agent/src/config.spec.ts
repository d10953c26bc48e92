import { advertisedApiUrl, httpUrl, loadApiConfig, loadConfig } from './config';

describe('loadConfig', () => {
  it('has defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      dataDir: '/var/lib/forkdesk',
      shmDir: '/dev/shm/forkdesk',
      accel: 'auto',
      runAsUser: 'forkdesk',
      sandbox: true,
    });
  });
  it('reads the environment and rejects nonsense', () => {
    expect(loadConfig({ FORKDESK_ACCEL: 'TCG', FORKDESK_RESERVE_MIB: '512' })).toMatchObject({
      accel: 'tcg',
      reserveMiB: 512,
    });
    expect(() => loadConfig({ FORKDESK_ACCEL: 'xen' })).toThrow(/FORKDESK_ACCEL/);
    expect(() => loadConfig({ FORKDESK_RESERVE_MIB: '-1' })).toThrow(/FORKDESK_RESERVE_MIB/);
  });
});

describe('loadApiConfig', () => {
  it('defaults to loopback, API on 7450, gateway on 4822, /var/lib/forkdesk', () => {
    expect(loadApiConfig({})).toEqual({
      host: '127.0.0.1',
      port: 7450,
      dataDir: '/var/lib/forkdesk',
      agentToken: undefined,
      brokerUrl: undefined,
      enrollmentToken: undefined,
      advertiseUrl: undefined,
      heartbeatMs: 10_000,
      gatewayHost: '127.0.0.1',
      gatewayPort: 4822,
      gatewayInputBoostMs: 250,
      tls: true,
    });
  });

  it('reads the environment and trims a trailing slash off URLs', () => {
    const c = loadApiConfig({
      FORKDESK_API_HOST: '0.0.0.0',
      FORKDESK_API_PORT: '0',
      FORKDESK_BROKER_URL: 'https://broker.example:8443/',
      FORKDESK_AGENT_TOKEN: ' a-token-of-16-chars ',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      brokerUrl: 'https://broker.example:8443',
      agentToken: 'a-token-of-16-chars',
    });
  });

  it.each([
    [
      { FORKDESK_API_PORT: '70000' },
      'FORKDESK_API_PORT must be an integer in 0..65535, got "70000"',
    ],
    [{ FORKDESK_API_PORT: 'http' }, 'FORKDESK_API_PORT must be an integer in 0..65535, got "http"'],
    [
      { FORKDESK_BROKER_URL: 'ftp://x' },
      'FORKDESK_BROKER_URL must be an http(s) URL, got "ftp://x"',
    ],
    [{ FORKDESK_BROKER_URL: 'broker' }, 'FORKDESK_BROKER_URL must be an http(s) URL, got "broker"'],
    [{ FORKDESK_AGENT_TOKEN: 'short' }, 'FORKDESK_AGENT_TOKEN must be at least 16 characters'],
    [
      { FORKDESK_HEARTBEAT_MS: '10' },
      'FORKDESK_HEARTBEAT_MS must be an integer in 1000..3600000, got "10"',
    ],
  ])('rejects %j', (env, message) => {
    expect(() => loadApiConfig(env)).toThrow(message);
  });

  it('derives the advertised URL', () => {
    expect(advertisedApiUrl(loadApiConfig({ FORKDESK_API_HOST: '10.1.2.3' }))).toBe(
      'http://10.1.2.3:7450',
    );
    expect(
      advertisedApiUrl(loadApiConfig({ FORKDESK_ADVERTISE_URL: 'https://agent-1.example/' })),
    ).toBe('https://agent-1.example');
    expect(() => advertisedApiUrl(loadApiConfig({ FORKDESK_API_PORT: '0' }))).toThrow(
      /needs FORKDESK_ADVERTISE_URL/,
    );
    expect(httpUrl('::1', 80)).toBe('http://[::1]:80');
  });
});
