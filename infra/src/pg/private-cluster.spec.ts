import { Client } from 'pg';
import { quoteIdent } from './ident';
import { PrivateCluster } from './private-cluster';

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
    expect(r.rows[0]).toEqual({
      user: 'forkdesk_app',
      addr: '127.0.0.1/32',
      method: 'scram-sha-256',
    });

    const bad = new Client({
      connectionString: cluster.url({ ...state, appPassword: 'wrong' }, 'postgres'),
    });
    await expect(bad.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('starts idempotently and creates and drops databases', async () => {
    const state = await cluster.start();
    expect((await cluster.start()).port).toBe(state.port);
    const name = `forkdesk_test_cluster_${process.pid}`;
    await cluster.ensureDatabase(name, state, 'test');
    await cluster.ensureDatabase(name, state, 'test');
    expect(await cluster.databases(state)).toContain(name);
    await cluster.dropDatabase(name, state);
    expect(await cluster.databases(state)).not.toContain(name);
  });

  it('hands clients roles that are not superusers and own only their database', async () => {
    const state = await cluster.start();
    const app = new Client({ connectionString: cluster.url(state) });
    await app.connect();
    try {
      const me = await app.query<{ super: boolean; createdb: boolean; owner: string }>(
        `SELECT rolsuper AS super, rolcreatedb AS createdb,
                (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) AS owner
           FROM pg_roles WHERE rolname = current_user`,
      );
      expect(me.rows[0]).toEqual({ super: false, createdb: false, owner: 'forkdesk_app' });
      await expect(app.query('SELECT rolpassword FROM pg_authid')).rejects.toThrow(
        /permission denied/,
      );
      await expect(app.query('CREATE DATABASE forkdesk_app_may_not')).rejects.toThrow(
        /permission denied/,
      );
      await expect(app.query(`COPY (SELECT 1) TO '/tmp/forkdesk-app-copy'`)).rejects.toThrow(
        /permission denied|must be superuser|pg_write_server_files/,
      );
    } finally {
      await app.end();
    }
    // The test role may make the per-file databases, and is no superuser either.
    const test = new Client({ connectionString: cluster.url(state, 'postgres', 'test') });
    await test.connect();
    try {
      const me = await test.query<{ super: boolean }>(
        'SELECT rolsuper AS super FROM pg_roles WHERE rolname = current_user',
      );
      expect(me.rows[0]).toEqual({ super: false });
      // Nor can it enter the app's database.
      await expect(
        new Client({ connectionString: cluster.url(state, state.database, 'test') }).connect(),
      ).rejects.toThrow(/permission denied/);
    } finally {
      await test.end();
    }
  });
});
