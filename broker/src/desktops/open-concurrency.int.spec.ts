import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import { PoolReconciler } from '../scheduler/pool-reconciler.service';
import {
  createUsers,
  PASSWORD,
  seedPool,
  startBroker,
  type TestBroker,
} from '../testing/broker-harness';
import { FakeAgentClient } from '../testing/fake-agent-client';
import { HttpSession } from '../testing/http-session';

jest.setTimeout(120_000);

const USERS = 200;
const SPARES = 100;
const MAX = 150;

describe('200 concurrent opens on one pool', () => {
  let db: TestDatabase;
  let broker: TestBroker;

  beforeAll(async () => {
    db = await createTestDatabase('broker_storm');
    broker = await startBroker(db, new FakeAgentClient(), {
      // The fake agent's heartbeat is seeded once; a loaded machine must not time it out mid-test.
      // Holds on: the sign-ins hold spares in the background while the storm opens.
      env: { FORKDESK_DB_POOL: '30', FORKDESK_AGENT_TIMEOUT_S: '3600', FORKDESK_HOLD_S: '300' },
    });
  });

  afterAll(async () => {
    await broker?.close();
    await db?.drop();
  });

  it('gives distinct desktops up to max and clean 503s past it, never a double assignment', async () => {
    const fx = await seedPool(db.dataSource, { minSpare: SPARES, maxSize: MAX, memoryMib: 64 });
    const names = Array.from({ length: USERS }, (_, i) => `u${String(i).padStart(3, '0')}`);
    const users = await createUsers(db.dataSource, names);
    await db.dataSource.query(
      `INSERT INTO entitlements (pool_id, user_id) SELECT $1, unnest($2::uuid[])`,
      [fx.pool.id, users.map((u) => u.id)],
    );
    expect((await broker.app.get(PoolReconciler).reconcilePool(fx.pool.id)).forked).toBe(SPARES);
    const sessions: HttpSession[] = [];
    for (let i = 0; i < USERS; i += 20) {
      sessions.push(
        ...(await Promise.all(
          names.slice(i, i + 20).map((n) => HttpSession.login(broker.url, n, PASSWORD)),
        )),
      );
    }

    const t0 = performance.now();
    const results = await Promise.all(
      sessions.map((s) => s.post(`/api/my/pools/${fx.pool.id}/open`)),
    );
    const wallMs = performance.now() - t0;

    const ok = results.filter((r) => r.status === 200);
    const full = results.filter((r) => r.status === 503);
    expect(ok.length + full.length).toBe(USERS);
    expect(ok).toHaveLength(MAX);
    for (const r of full) expect(r.headers['retry-after']).toBeDefined();
    const ids = new Set(ok.map((r) => r.body.desktop.id as string));
    expect(ids.size).toBe(MAX);

    const [check] = (await db.dataSource.query(
      `SELECT count(*)::int AS assigned, count(DISTINCT assigned_user_id)::int AS users,
              count(DISTINCT vm_id)::int AS vms
         FROM desktops WHERE pool_id = $1 AND state IN ('assigned', 'in_use')`,
      [fx.pool.id],
    )) as { assigned: number; users: number; vms: number }[];
    expect(check).toEqual({ assigned: MAX, users: MAX, vms: MAX });
    const [twice] = (await db.dataSource.query(
      `SELECT count(*)::int AS n FROM (SELECT target_id FROM audit_events WHERE action = 'desktop.assigned'
         GROUP BY target_id HAVING count(*) > 1) x`,
    )) as { n: number }[];
    expect(twice.n).toBe(0);
    process.stdout.write(
      `200 concurrent opens: ${ok.length} desktops, ${full.length} x 503, ${wallMs.toFixed(0)} ms wall\n`,
    );
  });
});
