import { UserRole } from '@forkdesk/db';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import request from 'supertest';
import { agentImageKey } from '../images/manifest';
import { PoolReconciler } from '../scheduler/pool-reconciler.service';
import {
  createUsers,
  PASSWORD,
  seedPool,
  startBroker,
  type Fixture,
  type TestBroker,
} from '../testing/broker-harness';
import { FakeAgentClient } from '../testing/fake-agent-client';
import { HttpSession } from '../testing/http-session';
import { AgentsService } from './agents.service';

jest.setTimeout(60_000);

let db: TestDatabase;
let broker: TestBroker;
let fake: FakeAgentClient;
let fx: Fixture;
let admin: HttpSession;
/** The reference the (fake) agent gives the pool's template every time it builds it. */
let ref: string;

const templateReport = (state: 'ready' | 'failed' = 'ready') => ({
  id: ref,
  imageVersion: agentImageKey(fx.version.id),
  shape: { vcpus: fx.pool.vcpus, memoryMiB: fx.pool.memoryMib },
  accel: 'tcg',
  state,
  deviceStateBytes: 1000,
  buildMs: 1,
  createdAt: new Date().toISOString(),
  children: 0,
});

/** A VM as the agent lists it in a heartbeat. */
const reportedVm = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  templateId: ref,
  pid: 1,
  state: 'running',
  vncSocket: '/x',
  createdAt: new Date().toISOString(),
  forkMs: 1,
  warm: false,
  ...extra,
});

const heartbeat = async (templates: unknown[], vms: unknown[] = []): Promise<request.Response> =>
  request(broker.url)
    .post(`/v1/agents/${fx.agent.id}/heartbeat`)
    .set('authorization', `Bearer ${fx.agent.apiToken}`)
    .send({
      agentId: fx.agent.id,
      agentVersion: '0.1.0',
      sentAt: new Date().toISOString(),
      capacity: await fake.capacity(),
      vms,
      templates,
    });

const templateRows = async () =>
  (await db.dataSource.query(
    `SELECT agent_template_id AS ref, state FROM templates WHERE agent_id = $1 ORDER BY created_at`,
    [fx.agent.id],
  )) as { ref: string; state: string }[];

const card = async () =>
  ((await admin.get('/api/admin/agents')).body as { id: string; state: string; problem: string }[])
    .filter((a) => a.id === fx.agent.id)
    .pop();

beforeAll(async () => {
  db = await createTestDatabase('broker_heartbeat');
  fake = new FakeAgentClient();
  broker = await startBroker(db, fake);
  await createUsers(db.dataSource, ['root'], UserRole.Admin);
  fx = await seedPool(db.dataSource, { minSpare: 1, maxSize: 3 });
  ref = `tpl-${fx.agent.apiUrl!.length}-${agentImageKey(fx.version.id)}`;
  await db.dataSource.query(`UPDATE templates SET agent_template_id = $1`, [ref]);
  admin = await HttpSession.login(broker.url, 'root', PASSWORD);
});

afterAll(async () => {
  await broker?.close();
  await db?.drop();
});

describe('heartbeats after the host lost its templates', () => {
  it('rebuilds a purged template under the same reference and forks spares again', async () => {
    // The purge destroyed the template on the host: the agent reports none.
    expect((await heartbeat([])).status).toBe(200);
    expect(await templateRows()).toEqual([{ ref, state: 'deleted' }]);
    // The reconciler asks for it again; the agent rebuilds it under the same reference.
    const reconciler = broker.app.get(PoolReconciler);
    await reconciler.reconcilePool(fx.pool.id);
    await reconciler.beforeApplicationShutdown();
    const rows = await templateRows();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({ ref: expect.stringMatching(/~[0-9a-f-]{36}$/), state: 'deleted' });
    expect(rows[1]).toEqual({ ref, state: 'ready' });
    // The agent's next report agrees, and a spare is forked on the rebuilt template.
    expect((await heartbeat([templateReport()])).status).toBe(200);
    expect((await reconciler.reconcilePool(fx.pool.id)).forked).toBe(1);
    expect((await card())?.state).toBe('active');
  });

  it("takes the agent's report over a failed row and a given-up row holding its reference", async () => {
    await db.dataSource.query(`DELETE FROM desktops`);
    await db.dataSource.query(
      `UPDATE templates SET state = 'deleted' WHERE agent_id = $1 AND state <> 'deleted'`,
      [fx.agent.id],
    );
    // A build the broker counted as failed (its answer lost), under a placeholder reference.
    await db.dataSource.query(
      `INSERT INTO templates (agent_id, agent_template_id, image_version_id, vcpus, memory_mib, accel, state)
       VALUES ($1, 'pending:x', $2, $3, $4, 'tcg', 'failed')`,
      [fx.agent.id, fx.version.id, fx.pool.vcpus, fx.pool.memoryMib],
    );
    expect((await heartbeat([templateReport()])).status).toBe(200);
    const live = (await templateRows()).filter((r) => r.state !== 'deleted');
    expect(live).toEqual([{ ref, state: 'ready' }]);
  });
});

describe('a heartbeat the broker cannot take', () => {
  it('is logged, audited once, shown on the card with its cause, and cleared by the next', async () => {
    await db.dataSource.query(
      `INSERT INTO desktops (pool_id, image_version_id, agent_id, vm_id, state, ready_at)
       VALUES ($1, $2, $3, 'vm-bad', 'ready', now() - interval '1 hour')`,
      [fx.pool.id, fx.version.id, fx.agent.id],
    );
    // A report the broker's SQL cannot store (memory that is not a number).
    const bad = [reportedVm('vm-bad', { memory: { privateMiB: 'lots', sharedMiB: 1 } })];
    for (let i = 0; i < 2; i++) {
      const r = await heartbeat([templateReport()], bad);
      expect(r.status).toBe(500);
      expect(r.body.message).toMatch(/^Its heartbeat was refused: .*integer.*\.$/);
    }
    expect((await card())?.problem).toMatch(/^Its heartbeat was refused: .*integer/);
    const [{ n }] = (await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'agent.heartbeat_refused'`,
    )) as { n: number }[];
    expect(n).toBe(1);
    const good = [reportedVm('vm-bad', { memory: { privateMiB: 10, sharedMiB: 1 } })];
    expect((await heartbeat([templateReport()], good)).status).toBe(200);
    expect((await card())?.problem).toBeNull();
  });

  it("removes a dead VM's files on its agent and marks its desktop lost", async () => {
    await db.dataSource.query(`DELETE FROM desktops`);
    const [d] = (await db.dataSource.query(
      `INSERT INTO desktops (pool_id, image_version_id, agent_id, vm_id, state, ready_at)
       VALUES ($1, $2, $3, 'vm-dead', 'ready', now() - interval '1 hour') RETURNING id`,
      [fx.pool.id, fx.version.id, fx.agent.id],
    )) as { id: string }[];
    fake.children.set('vm-dead', { id: 'vm-dead' } as never);
    const dead = reportedVm('vm-dead', { state: 'dead' });
    expect((await heartbeat([templateReport()], [dead])).body).toMatchObject({ lost: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.children.has('vm-dead')).toBe(false);
    const [row] = (await db.dataSource.query(`SELECT state FROM desktops WHERE id = $1`, [
      d.id,
    ])) as { state: string }[];
    expect(row.state).toBe('lost');
  });

  it('drains a silent agent with a reason an admin can read', async () => {
    await db.dataSource.query(
      `UPDATE agents SET last_heartbeat_at = now() - interval '1 hour' WHERE id = $1`,
      [fx.agent.id],
    );
    await broker.app.get(AgentsService).checkSilent();
    const c = await card();
    expect(c?.state).toBe('lost');
    expect(c?.problem).toMatch(/^No heartbeat for \d+ s: its desktops were marked lost/);
    expect((await heartbeat([templateReport()])).status).toBe(200);
    expect(await card()).toMatchObject({ state: 'active', problem: null });
  });
});
