import { createHash } from 'crypto';
import { createTestDatabase } from '../testing/test-database';

jest.setTimeout(60_000);

describe('migration 1796700000000 (heartbeat token hashes)', () => {
  it('gives an agent enrolled before it the hash of its apiToken, the token its heartbeats present', async () => {
    const db = await createTestDatabase('hb_token_hashes');
    try {
      // Back to just before this migration (and any after it).
      const applied = async (): Promise<boolean> =>
        (
          (await db.dataSource.query(`SELECT 1 FROM migrations WHERE name = $1`, [
            'HeartbeatTokenHashes1796700000000',
          ])) as unknown[]
        ).length > 0;
      while (await applied()) await db.dataSource.undoLastMigration({ transaction: 'all' });
      await db.dataSource.query(
        `INSERT INTO agents (name, state, api_url, api_token) VALUES
           ('old', 'active', 'http://127.0.0.1:1', 'an-old-shared-token-0123456789'),
           ('pending', 'enrolling', NULL, NULL)`,
      );
      await db.dataSource.runMigrations({ transaction: 'all' });
      const rows = (await db.dataSource.query(
        `SELECT name, heartbeat_token_hash FROM agents ORDER BY name`,
      )) as { name: string; heartbeat_token_hash: string | null }[];
      expect(rows).toEqual([
        {
          name: 'old',
          heartbeat_token_hash: createHash('sha256')
            .update('an-old-shared-token-0123456789')
            .digest('hex'),
        },
        { name: 'pending', heartbeat_token_hash: null },
      ]);
    } finally {
      await db.drop();
    }
  });
});
