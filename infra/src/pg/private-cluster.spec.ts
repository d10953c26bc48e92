import { Client } from 'pg';
import { PrivateCluster, quoteIdent } from './private-cluster';

describe('quoteIdent', () => {
  it('accepts plain names and refuses anything that could escape the identifier', () => {
    expect(quoteIdent('forkdesk_test_1')).toBe('"forkdesk_test_1"');
    for (const bad of ['', 'a"b', 'drop table x;', 'A', 'x'.repeat(64)]) {
      expect(() => quoteIdent(bad)).toThrow(/invalid database name/);
    }
  });
});

describe('the private cluster (real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  const cluster = new PrivateCluster(() => undefined);

  it('is running as the service user with password authentication on loopback', async () => {
    const state = await cluster.start();
    expect(cluster.runningPort()).toBe(state.port);
    const good = new Client({ connectionString: cluster.url(state, 'postgres') });
    await good.connect();
    const r = await good.query<{ user: string; addr: string; method: string }>(
      `SELECT current_user AS user, inet_server_addr()::text AS addr,
              (SELECT setting FROM pg_settings WHERE name = 'password_encryption') AS method`,
    );
    await good.end();
    expect(r.rows[0]).toEqual({ user: 'forkdesk', addr: '127.0.0.1/32', method: 'scram-sha-256' });

    const bad = new Client({
      connectionString: cluster.url({ ...state, password: 'wrong' }, 'postgres'),
    });
    await expect(bad.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('starts idempotently and creates and drops databases', async () => {
    const state = await cluster.start();
    expect((await cluster.start()).port).toBe(state.port);
    const name = `forkdesk_test_cluster_${process.pid}`;
    await cluster.ensureDatabase(name, state);
    await cluster.ensureDatabase(name, state);
    expect(await cluster.databases(state)).toContain(name);
    await cluster.dropDatabase(name, state);
    expect(await cluster.databases(state)).not.toContain(name);
  });
});
