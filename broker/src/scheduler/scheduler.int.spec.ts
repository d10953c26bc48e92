import { DesktopState, ImageVersion, ImageVersionState, Pool, RefreshPolicy } from '@forkdesk/db';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import type { Clock } from '../common/clock';
import {
  createUsers,
  PASSWORD,
  seedPool,
  seedTemplate,
  startBroker,
  type TestBroker,
} from '../testing/broker-harness';
import { FakeAgentClient } from '../testing/fake-agent-client';
import { HttpSession } from '../testing/http-session';
import { SchedulerService } from './scheduler.service';

jest.setTimeout(60_000);

/** Test clock: the nightly hour (3 by default) whenever the test says so. */
class TestClock implements Clock {
  at = new Date(2026, 0, 10, 12, 0, 0);
  now(): Date {
    return this.at;
  }
}

describe('scheduler: leadership and the nightly refresh', () => {
  let db: TestDatabase;
  const brokers: TestBroker[] = [];
  const clock = new TestClock();

  beforeAll(async () => {
    db = await createTestDatabase('broker_sched');
    const fake = new FakeAgentClient();
    for (let i = 0; i < 2; i++) brokers.push(await startBroker(db, fake, { clock }));
  });

  afterAll(async () => {
    for (const b of brokers) await b.close();
    await db?.drop();
  });

  it('moves spares to the new version at night, leaves desktops in use alone, runs once across two brokers', async () => {
    const fx = await seedPool(db.dataSource, {
      minSpare: 2,
      maxSize: 5,
      refreshPolicy: RefreshPolicy.Nightly,
    });
    await db.dataSource.getRepository(Pool).update(fx.pool.id, { imageVersionId: fx.version.id });
    const [alice] = await createUsers(db.dataSource, ['alice']);
    await db.dataSource.query(`INSERT INTO entitlements (pool_id, user_id) VALUES ($1, $2)`, [
      fx.pool.id,
      alice.id,
    ]);
    const [s1, s2] = brokers.map((b) => b.app.get(SchedulerService));

    // Two brokers tick together: exactly one leads.
    const led = await Promise.all([s1.tick(), s2.tick()]);
    expect(led.filter(Boolean)).toHaveLength(1);
    const leader = led[0] ? s1 : s2;
    const other = led[0] ? s2 : s1;

    const session = await HttpSession.login(brokers[0].url, 'alice', PASSWORD);
    const open = await session.post(`/api/my/pools/${fx.pool.id}/open`);
    const inUse = open.body.desktop.id as string;
    expect(open.body.desktop.state).toBe(DesktopState.Assigned);

    // A new version is published during the day: a nightly pool does not move yet.
    const v2 = await db.dataSource.getRepository(ImageVersion).save({
      imageId: fx.image.id,
      version: 2,
      state: ImageVersionState.Published,
      publishedAt: new Date(),
      diskPath: '/nonexistent/v2.qcow2',
    });
    await seedTemplate(db.dataSource, fx.agent, v2, fx.pool);
    await leader.tick();
    const versions = async () =>
      (await db.dataSource.query(
        `SELECT id, state, image_version_id AS v FROM desktops WHERE pool_id = $1 AND state IN ('ready', 'assigned', 'in_use') ORDER BY id`,
        [fx.pool.id],
      )) as { id: string; state: string; v: string }[];
    expect((await versions()).every((d) => d.v === fx.version.id)).toBe(true);

    // 03:00 on the test clock: both brokers tick, the job runs once.
    clock.at = new Date(2026, 0, 11, 3, 5, 0);
    await Promise.all([s1.tick(), s2.tick(), other.tick()]);
    await leader.tick();
    const after = await versions();
    expect(after.find((d) => d.id === inUse)).toMatchObject({
      state: 'assigned',
      v: fx.version.id,
    });
    const spares = after.filter((d) => d.state === 'ready');
    expect(spares).toHaveLength(2);
    expect(spares.every((d) => d.v === v2.id)).toBe(true);
    const [runs] = (await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'scheduler.nightly'`,
    )) as { n: number }[];
    expect(runs.n).toBe(1);

    // At logoff the old desktop goes; its replacement is on the new version.
    expect((await session.post(`/api/my/desktops/${inUse}/logoff`)).status).toBe(204);
    const reopen = await session.post(`/api/my/pools/${fx.pool.id}/open`);
    const [row] = (await db.dataSource.query(
      `SELECT image_version_id AS v FROM desktops WHERE id = $1`,
      [reopen.body.desktop.id],
    )) as { v: string }[];
    expect(row.v).toBe(v2.id);
  });
});
