import { QueryFailedError } from 'typeorm';
import {
  Agent,
  Desktop,
  DesktopSession,
  DesktopState,
  Entitlement,
  GoldenImage,
  ImageVersion,
  Pool,
  SessionMode,
  User,
  UserDiskLease,
  UserRole,
} from './entities';
import { verifyPassword } from './auth/passwords';
import { seedFirstAdmin } from './seed/first-admin';
import { createTestDatabase, TestDatabase } from './testing/test-database';

jest.setTimeout(60_000);

/** The PostgreSQL error code of a failed query (23505 unique, 23514 check, …). */
async function pgError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof QueryFailedError) return String((e.driverError as { code?: string }).code);
    throw e;
  }
  throw new Error('expected the database to reject the statement');
}

describe('db schema on the real PostgreSQL', () => {
  let db: TestDatabase;
  let alice: User;
  let bob: User;
  let pool: Pool;
  let version: ImageVersion;

  beforeAll(async () => {
    db = await createTestDatabase('schema');
    const m = db.dataSource.manager;
    alice = await m.save(m.create(User, { username: 'alice' }));
    bob = await m.save(m.create(User, { username: 'bob' }));
    const image = await m.save(m.create(GoldenImage, { name: 'debian-desktop' }));
    version = await m.save(
      m.create(ImageVersion, { imageId: image.id, version: 1, diskPath: '/images/v1.qcow2' }),
    );
    pool = await m.save(m.create(Pool, { name: 'Standard desktop', imageId: image.id }));
  });

  afterAll(async () => {
    await db?.drop();
  });

  const spare = (): Promise<Desktop> => {
    const m = db.dataSource.manager;
    return m.save(
      m.create(Desktop, { poolId: pool.id, imageVersionId: version.id, state: DesktopState.Ready }),
    );
  };

  /** The broker's assignment: a guarded UPDATE that only takes a spare desktop. */
  const assign = async (desktopId: string, userId: string): Promise<number> => {
    const [, affected] = (await db.dataSource.query(
      `UPDATE desktops SET state = 'assigned', assigned_user_id = $2, assigned_at = now()
       WHERE id = $1 AND state = 'ready' AND assigned_user_id IS NULL`,
      [desktopId, userId],
    )) as [unknown, number];
    return affected;
  };

  it('has applied every migration, and the entities match the migrated schema', async () => {
    expect(await db.dataSource.showMigrations()).toBe(false);
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('rejects a second assignment of the same desktop', async () => {
    const d = await spare();
    expect(await assign(d.id, alice.id)).toBe(1);
    // The guarded update finds no spare desktop any more …
    expect(await assign(d.id, bob.id)).toBe(0);
    // … and even an unguarded write cannot move the assignment to another user.
    expect(
      await pgError(
        db.dataSource.query('UPDATE desktops SET assigned_user_id = $2 WHERE id = $1', [
          d.id,
          bob.id,
        ]),
      ),
    ).toBe('23505');
    const row = await db.dataSource.manager.findOneByOrFail(Desktop, { id: d.id });
    expect(row.assignedUserId).toBe(alice.id);
  });

  it('allows one live desktop per user and pool', async () => {
    const d = await spare();
    expect(await pgError(assign(d.id, alice.id))).toBe('23505');
    expect(await assign(d.id, bob.id)).toBe(1);
  });

  it('keeps state and assignment consistent', async () => {
    const m = db.dataSource.manager;
    expect(
      await pgError(
        m.insert(Desktop, {
          poolId: pool.id,
          imageVersionId: version.id,
          state: DesktopState.InUse,
        }),
      ),
    ).toBe('23514');
    expect(
      await pgError(
        m.insert(Desktop, {
          poolId: pool.id,
          imageVersionId: version.id,
          state: DesktopState.Ready,
          assignedUserId: alice.id,
        }),
      ),
    ).toBe('23514');
  });

  it('allows one open control session per desktop, with read-only shadows beside it', async () => {
    const m = db.dataSource.manager;
    const d = await spare();
    const carol = await m.save(m.create(User, { username: 'carol' }));
    await assign(d.id, carol.id);
    await m.insert(DesktopSession, {
      desktopId: d.id,
      userId: carol.id,
      mode: SessionMode.Control,
    });
    expect(
      await pgError(
        m.insert(DesktopSession, { desktopId: d.id, userId: carol.id, mode: SessionMode.Control }),
      ),
    ).toBe('23505');
    await m.insert(DesktopSession, { desktopId: d.id, userId: alice.id, mode: SessionMode.View });
    await m.update(
      DesktopSession,
      { desktopId: d.id, mode: SessionMode.Control },
      { endedAt: new Date() },
    );
    await m.insert(DesktopSession, {
      desktopId: d.id,
      userId: carol.id,
      mode: SessionMode.Control,
    });
  });

  it('lets one desktop at a time hold a user disk, and releases it when that desktop is destroyed', async () => {
    const m = db.dataSource.manager;
    const dave = await m.save(m.create(User, { username: 'dave' }));
    const agent = await m.save(m.create(Agent, { name: 'lease-agent' }));
    const [d1, d2] = [await spare(), await spare()];
    const lease = (desktopId: string) =>
      m.insert(UserDiskLease, {
        userId: dave.id,
        desktopId,
        agentId: agent.id,
        diskPath: '/homes/dave.qcow2',
        expiresAt: new Date(Date.now() + 60_000),
      });
    await lease(d1.id);
    expect(await pgError(lease(d2.id))).toBe('23505');
    await m.update(Desktop, { id: d1.id }, { state: DesktopState.Destroying });
    expect(await m.countBy(UserDiskLease, { userId: dave.id })).toBe(1);
    await m.update(Desktop, { id: d1.id }, { state: DesktopState.Destroyed });
    expect(await m.countBy(UserDiskLease, { userId: dave.id })).toBe(0);
    await lease(d2.id);
  });

  it('names exactly one subject per entitlement and no duplicates', async () => {
    const m = db.dataSource.manager;
    expect(await pgError(m.insert(Entitlement, { poolId: pool.id }))).toBe('23514');
    await m.insert(Entitlement, { poolId: pool.id, userId: alice.id });
    expect(await pgError(m.insert(Entitlement, { poolId: pool.id, userId: alice.id }))).toBe(
      '23505',
    );
  });

  it("keeps a pool's CPU limit between 10 and its vCPUs × 100, or none", async () => {
    const m = db.dataSource.manager;
    const limit = (cpuLimitPercent: number | null, vcpus = 2) =>
      m.update(Pool, { id: pool.id }, { vcpus, cpuLimitPercent });
    await limit(200);
    await limit(10);
    await limit(null, 1);
    expect(await pgError(limit(9))).toBe('23514');
    expect(await pgError(limit(201))).toBe('23514');
    expect(await pgError(limit(150, 1))).toBe('23514');
  });

  it('treats user names case-insensitively', async () => {
    const m = db.dataSource.manager;
    expect(await pgError(m.insert(User, { username: 'ALICE' }))).toBe('23505');
  });

  it('seeds the first admin once, even when two starts race', async () => {
    const [a, b] = await Promise.all([
      seedFirstAdmin(db.dataSource),
      seedFirstAdmin(db.dataSource),
    ]);
    const created = [a, b].filter((x) => x !== null);
    expect(created).toHaveLength(1);
    const admins = await db.dataSource.manager.findBy(User, { role: UserRole.Admin });
    expect(admins).toHaveLength(1);
    expect(admins[0].passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(admins[0].passwordHash ?? '', created[0]?.password ?? '')).toBe(
      true,
    );
    expect(await seedFirstAdmin(db.dataSource)).toBeNull();
  });
});

describe('migrations', () => {
  it('roll back and apply again cleanly', async () => {
    const db = await createTestDatabase('roundtrip');
    try {
      // Undo every migration, newest first, back to an empty schema.
      while ((await db.dataSource.query(`SELECT 1 FROM migrations LIMIT 1`)).length > 0) {
        await db.dataSource.undoLastMigration({ transaction: 'all' });
      }
      const tables = (await db.dataSource.query(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
      )) as { n: number }[];
      expect(tables[0].n).toBe(0);
      await db.dataSource.runMigrations({ transaction: 'all' });
      expect(await db.dataSource.showMigrations()).toBe(false);
    } finally {
      await db.drop();
    }
  });
});
