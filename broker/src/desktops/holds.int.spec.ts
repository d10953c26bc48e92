/**
 * Spares held for a user at sign-in and on the desktop list (real PostgreSQL, FAKE agent: the
 * broker's transactions and the reconciler's counting, not QEMU; test/src/broker/held-spare
 * is the real-stack twin).
 */
import { ImageVersion, ImageVersionState, type User } from '@forkdesk/db';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import { PoolReconciler } from '../scheduler/pool-reconciler.service';
import {
  createUsers,
  PASSWORD,
  seedPool,
  seedTemplate,
  startBroker,
  type Fixture,
  type TestBroker,
} from '../testing/broker-harness';
import { FakeAgentClient } from '../testing/fake-agent-client';
import { HttpSession } from '../testing/http-session';
import { SYSTEM } from '../common/actor';
import { UsersService } from '../users/users.service';
import { HoldsService } from './holds.service';

jest.setTimeout(60_000);

interface Row {
  id: string;
  state: string;
  reserved_user_id: string | null;
  assigned_user_id: string | null;
  held_until: Date | null;
  personalized_at: Date | null;
  vm_id: string | null;
  last_error: string | null;
}

describe('held spares (real PostgreSQL, fake agent)', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let fake: FakeAgentClient;
  let fx: Fixture;
  let users: Record<string, User>;
  let reconciler: PoolReconciler;
  let holds: HoldsService;

  const rows = async (): Promise<Row[]> =>
    (await db.dataSource.query(
      `SELECT id, state, reserved_user_id, assigned_user_id, held_until, personalized_at, vm_id, last_error
         FROM desktops WHERE pool_id = $1 ORDER BY created_at`,
      [fx.pool.id],
    )) as Row[];
  const live = async (): Promise<Row[]> =>
    (await rows()).filter((r) => ['forking', 'ready', 'assigned', 'in_use'].includes(r.state));
  const heldFor = async (u: User): Promise<Row[]> =>
    (await live()).filter((r) => r.state === 'ready' && r.reserved_user_id === u.id);
  const free = async (): Promise<Row[]> =>
    (await live()).filter((r) => r.state === 'ready' && r.reserved_user_id === null);
  const until = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
    const end = Date.now() + 10_000;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const session = (u: User): SessionUserLike => ({
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
  });
  type SessionUserLike = Parameters<HoldsService['reserveAll']>[0];

  beforeAll(async () => {
    db = await createTestDatabase('broker_holds');
    fake = new FakeAgentClient();
    broker = await startBroker(db, fake, { env: { FORKDESK_HOLD_S: '300' } });
    const list = await createUsers(db.dataSource, ['alice', 'bob', 'carol', 'dave', 'erin']);
    users = Object.fromEntries(list.map((u) => [u.username, u]));
    fx = await seedPool(db.dataSource, { minSpare: 2, maxSize: 4 });
    await db.dataSource.query(
      `INSERT INTO entitlements (pool_id, user_id) SELECT $1, unnest($2::uuid[])`,
      [fx.pool.id, list.map((u) => u.id)],
    );
    reconciler = broker.app.get(PoolReconciler);
    holds = broker.app.get(HoldsService);
    expect((await reconciler.reconcilePool(fx.pool.id)).forked).toBe(2);
  });

  afterAll(async () => {
    await broker?.close();
    await db?.drop();
  });

  it('holds one personalized spare on sign-in and list, once however often they come', async () => {
    const alice = await HttpSession.login(broker.url, 'alice', PASSWORD);
    // Sign-in, two tabs listing, and a direct round, all at once.
    const [a, b] = await Promise.all([
      alice.get('/api/my/pools'),
      alice.get('/api/my/pools'),
      holds.reserveAll(session(users.alice)),
      holds.reserveAll(session(users.alice)),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await until('a personalized hold for alice', async () => {
      const h = await heldFor(users.alice);
      return h.length === 1 && h[0].personalized_at !== null;
    });
    const [h] = await heldFor(users.alice);
    const left = (h.held_until!.getTime() - Date.now()) / 1000;
    expect(left).toBeGreaterThan(290);
    expect(left).toBeLessThanOrEqual(300);
    expect(fake.personalized.filter((p) => p.vmId === h.vm_id)).toHaveLength(1);
    expect(fake.personalized.find((p) => p.vmId === h.vm_id)?.p).toMatchObject({
      userName: 'alice',
    });
    // Shown on the list as hers, held, ready; still one hold after more rounds.
    const list = await alice.get('/api/my/pools');
    expect(list.body[0].desktop).toMatchObject({ id: h.id, state: 'ready', step: 'ready' });
    expect(list.body[0].desktop.heldUntil).toEqual(expect.any(String));
    expect(await holds.reserveAll(session(users.alice))).toEqual([]);
    expect(await heldFor(users.alice)).toHaveLength(1);
  });

  it('counts held spares as neither free nor missing, all within maxSize', async () => {
    // alice holds one of the 2 spares: the reconciler forks one so 2 are free again.
    expect((await reconciler.reconcilePool(fx.pool.id)).forked).toBe(1);
    expect(await free()).toHaveLength(2);
    await holds.reserveAll(session(users.bob));
    expect(await heldFor(users.bob)).toHaveLength(1);
    // 1 held + 1 held + 1 free = 3 live: one more fits under max 4.
    expect((await reconciler.reconcilePool(fx.pool.id)).forked).toBe(1);
    expect(await live()).toHaveLength(4);
    await holds.reserveAll(session(users.carol));
    expect(await heldFor(users.carol)).toHaveLength(1);
    // 3 held, 1 free, at max: nothing more, and again nothing.
    expect((await reconciler.reconcilePool(fx.pool.id)).forked).toBe(0);
    expect((await reconciler.reconcilePool(fx.pool.id)).forked).toBe(0);
    expect(await free()).toHaveLength(1);
    expect(await live()).toHaveLength(4);
  });

  it('opens the held desktop: the same one, already personalized, only assigned now', async () => {
    const alice = await HttpSession.login(broker.url, 'alice', PASSWORD);
    const [h] = await heldFor(users.alice);
    const before = fake.personalized.length;
    const t0 = performance.now();
    const open = await alice.post(`/api/my/pools/${fx.pool.id}/open`);
    const ms = performance.now() - t0;
    expect(open.status).toBe(200);
    expect(open.body.desktop).toMatchObject({ id: h.id, state: 'assigned', step: 'ready' });
    expect(ms).toBeLessThan(1000);
    expect(fake.personalized.length).toBe(before); // the hook ran at sign-in, not now
    const row = (await rows()).find((r) => r.id === h.id)!;
    expect(row).toMatchObject({
      assigned_user_id: users.alice.id,
      reserved_user_id: null,
      held_until: null,
    });
    // Opening again is the same desktop; no new hold for a user who has one.
    expect((await alice.post(`/api/my/pools/${fx.pool.id}/open`)).body.desktop.id).toBe(h.id);
    expect(await holds.reserveAll(session(users.alice))).toEqual([]);
  });

  it('destroys a hold not opened in time (never back to the pool), then refills', async () => {
    const [h] = await heldFor(users.bob);
    expect(await holds.expire()).toBe(0); // not due yet
    await db.dataSource.query(
      `UPDATE desktops SET held_until = now() - interval '1 second' WHERE id = $1`,
      [h.id],
    );
    expect(await holds.expire()).toBe(1);
    const row = (await rows()).find((r) => r.id === h.id)!;
    expect(row.state).toBe('destroyed');
    expect(row.assigned_user_id).toBeNull();
    expect(fake.children.has(h.vm_id!)).toBe(false);
    expect(await heldFor(users.bob)).toEqual([]);
    // Its slot goes to a fresh spare: 2 free again (alice's, carol's hold and 2 free = max 4).
    expect((await reconciler.reconcilePool(fx.pool.id)).forked).toBe(1);
    expect(await free()).toHaveLength(2);
  });

  it('a failed fork hook: that child is destroyed, the hold or open tries once more elsewhere', async () => {
    // A hold whose hook fails is replaced by another spare.
    fake.failPersonalizations = 1;
    const [id] = await holds.reserveAll(session(users.dave));
    expect(id).toBeDefined();
    const failed = (await rows()).filter((r) => /personalization failed/.test(r.last_error ?? ''));
    expect(failed).toHaveLength(1);
    expect(failed[0].state).toBe('destroyed');
    expect(fake.children.has(failed[0].vm_id!)).toBe(false);
    expect((await heldFor(users.dave)).map((r) => r.id)).toEqual([id]);

    // An open with no hold (erin's, made at sign-in, ran out): the first spare's hook fails,
    // the retry forks (no free spare left) and serves.
    await reconciler.reconcilePool(fx.pool.id);
    const erin = await HttpSession.login(broker.url, 'erin', PASSWORD);
    await until('a hold for erin', async () => (await heldFor(users.erin)).length === 1);
    await db.dataSource.query(
      `UPDATE desktops SET held_until = now() - interval '1 second' WHERE reserved_user_id = $1`,
      [users.erin.id],
    );
    expect(await holds.expire()).toBe(1);
    await reconciler.reconcilePool(fx.pool.id);
    expect(await free()).toHaveLength(1);
    fake.failPersonalizations = 1;
    const open = await erin.post(`/api/my/pools/${fx.pool.id}/open`);
    expect(open.status).toBe(200);
    const mine = (await rows()).find((r) => r.id === open.body.desktop.id)!;
    expect(mine).toMatchObject({ state: 'assigned', assigned_user_id: users.erin.id });
    expect(mine.personalized_at).not.toBeNull();
    expect(open.body.desktop.step).toBe('ready');

    // Twice in a row: a clear 503, and neither child is anyone's.
    await erin.post(`/api/my/desktops/${open.body.desktop.id}/logoff`);
    await reconciler.reconcilePool(fx.pool.id);
    fake.failPersonalizations = 2;
    const twice = await erin.post(`/api/my/pools/${fx.pool.id}/open`);
    expect(twice.status).toBe(503);
    expect(twice.headers['retry-after']).toBe('60');
    expect(twice.body.message).toMatch(/could not be prepared.*two desktops in a row/);
    const erins = (await live()).filter(
      (r) => r.assigned_user_id === users.erin.id || r.reserved_user_id === users.erin.id,
    );
    expect(erins).toEqual([]);
  });

  it('deleting a user with a hold releases it first (never a free spare with their identity)', async () => {
    const [h] = await heldFor(users.dave);
    expect(h).toBeDefined();
    const remove = () => broker.app.get(UsersService).remove(users.dave.id, SYSTEM);
    await expect(remove()).rejects.toThrow(/held for this user and is being released/);
    expect(await holds.expire()).toBe(1);
    const row = (await rows()).find((r) => r.id === h.id)!;
    expect(row).toMatchObject({ state: 'destroyed', reserved_user_id: null });
    expect(await free()).not.toContainEqual(expect.objectContaining({ id: h.id }));
    await remove();
  });

  it('a refresh to a new version destroys held spares of the old one too', async () => {
    const [h] = await heldFor(users.carol);
    expect(h).toBeDefined();
    const v2 = await db.dataSource.getRepository(ImageVersion).save({
      imageId: fx.image.id,
      version: 2,
      state: ImageVersionState.Published,
      publishedAt: new Date(),
      diskPath: '/nonexistent/v2.qcow2',
    });
    await seedTemplate(db.dataSource, fx.agent, v2, fx.pool);
    expect((await reconciler.reconcilePool(fx.pool.id)).refreshed).toBeGreaterThanOrEqual(1);
    expect((await rows()).find((r) => r.id === h.id)).toMatchObject({
      state: 'destroyed',
      held_until: null,
    });
  });
});
