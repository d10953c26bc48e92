import { loadBrokerConfig } from './config';

describe('loadBrokerConfig', () => {
  it('defaults to loopback on 8080', () => {
    expect(loadBrokerConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db' })).toEqual({
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: 'postgres://x@127.0.0.1/db',
      publicUrl: 'http://127.0.0.1:8080',
    });
  });

  it('rejects a bad port and a missing database with a clear message', () => {
    expect(() => loadBrokerConfig({ DATABASE_URL: 'x', FORKDESK_BROKER_PORT: 'eighty' })).toThrow(
      "FORKDESK_BROKER_PORT must be a port number, got 'eighty'",
    );
    expect(() => loadBrokerConfig({})).toThrow(/DATABASE_URL is required/);
  });
});
