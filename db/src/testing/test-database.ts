import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
// Through the package, not '../data-source': a test loading db's built entities (a bench run by
// tsx) must get this data source on those same entity classes, not a second copy from src.
import { createDataSource } from '@forkdesk/db';

export interface TestDatabase {
  url: string;
  dataSource: DataSource;
  /** Closes the connections and drops the database. */
  drop(): Promise<void>;
}

const withDatabase = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/**
 * A database of its own for one test file, on the server of DATABASE_URL (the per-run test
 * database `npm test` creates on the private cluster), migrated to the newest schema.
 */
export async function createTestDatabase(
  label: string,
  opts: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    throw new Error(
      'DATABASE_URL is not set: run the tests through `npm test`, which starts PostgreSQL',
    );
  }
  const runDb = new URL(base).pathname.slice(1);
  const name = `${runDb}_${label}_${randomBytes(2).toString('hex')}`.toLowerCase().slice(0, 63);
  const admin = new Client({ connectionString: withDatabase(base, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(base, name);
  const dataSource = createDataSource({ url, poolSize: 4 });
  await dataSource.initialize();
  if (opts.migrate !== false) await dataSource.runMigrations({ transaction: 'each' });
  return {
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      const c = new Client({ connectionString: withDatabase(base, 'postgres') });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
