import { Agent, AssignmentMode, DesktopState, SessionState, User, UserRole } from '@forkdesk/db';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import request from 'supertest';
import type { Clock } from '../common/clock';
import { SchedulerService } from '../scheduler/scheduler.service';
import {
  createUsers,
  type Fixture,
  PASSWORD,
  seedPool,
  startBroker,
  type TestBroker,
} from '../testing/broker-harness';
import { FakeAgentClient } from '../testing/fake-agent-client';
import { HttpSession } from '../testing/http-session';
import { TunnelService } from '../tunnel/tunnel.service';

jest.setTimeout(60_000);

/** Test clock: only the scheduler's disconnect timeout reads it; tests move it on. */
class TestClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

interface Row {
  id: string;
  state: DesktopState;
  session_state: SessionState | null;
  disconnected_at: Date | null;
  vm_id: string | null;
}

describe('assignment modes, session states and home disk leases (real PostgreSQL, fake agent)', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  const fake = new FakeAgentClient();
  const clock = new TestClock();
  let users: User[];
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase('broker_modes');
    broker = await startBroker(db, fake, {
      clock,
      env: {
        FORKDESK_LEASE_TTL_S: '30',
        FORKDESK_LEASE_GRACE_S: '5',
        FORKDESK_OPEN_WAIT_MS: '5000',
      },
    });
    users = await createUsers(
      db.dataSource,
      Array.from({ length: 12 }, (_, i) => `user${i}`),
    );
  });

  afterAll(async () => {
    await broker?.close();
    await db?.drop();
  });

  /** A pool of its own (own image and agent) with every test user entitled. */
  const pool = async (p: Parameters<typeof seedPool>[1]): Promise<Fixture> => {
    const fx = await seedPool(db.dataSource, p, `modes${++n}`);
    for (const u of users)
      await db.dataSource.query(`INSERT INTO entitlements (pool_id, user_id) VALUES ($1, $2)`, [
        fx.pool.id,
        u.id,
      ]);
    return fx;
  };
  const login = (i: number) => HttpSession.login(broker.url, `user${i}`, PASSWORD);
  const row = async (id: string): Promise<Row> =>
    (
      (await db.dataSource.query(
        `SELECT id, state, session_state, disconnected_at, vm_id FROM desktops WHERE id = $1`,
        [id],
      )) as Row[]
    )[0];
  const audits = async (id: string): Promise<string[]> =>
    (
      (await db.dataSource.query(
        `SELECT action FROM audit_events WHERE target_id = $1 ORDER BY id`,
        [id],
      )) as { action: string }[]
    ).map((a) => a.action);
  /** The tunnel's open/close, as guacamole-lite reports them, for the session a grant made. */
  const connect = async (s: HttpSession, desktopId: string): Promise<string> => {
    expect((await s.post(`/api/my/desktops/${desktopId}/connect`)).status).toBe(200);
    const [sess] = (await db.dataSource.query(
      `SELECT id FROM desktop_sessions WHERE desktop_id = $1 AND ended_at IS NULL AND mode = 'control'`,
      [desktopId],
    )) as { id: string }[];
    await broker.app.get(TunnelService).opened(sess.id);
    return sess.id;
  };
  const tick = () => broker.app.get(SchedulerService).tick();
  const spares = async (poolId: string): Promise<number> =>
    (
      (await db.dataSource.query(
        `SELECT count(*)::int AS n FROM desktops WHERE pool_id = $1 AND state = 'ready'`,
        [poolId],
      )) as { n: number }[]
    )[0].n;

  it('dedicated: the user gets the same desktop after logoff, until an admin logs it off', async () => {
    const fx = await pool({ assignmentMode: AssignmentMode.Dedicated, minSpare: 1 });
    await tick();
    const s = await login(0);
    const first = (await s.post(`/api/my/pools/${fx.pool.id}/open`)).body.desktop;
    await connect(s, first.id);
    expect((await s.post(`/api/my/desktops/${first.id}/logoff`)).status).toBe(204);
    const kept = await row(first.id);
    expect(kept).toMatchObject({ state: DesktopState.InUse, session_state: 'logged_off' });
    expect(fake.children.has(kept.vm_id!)).toBe(true);
    const pools = (await s.get('/api/my/pools')).body as {
      pool: { id: string; assignmentMode: string };
      desktop: { id: string; sessionState: string } | null;
    }[];
    expect(pools.find((p) => p.pool.id === fx.pool.id)).toMatchObject({
      pool: { assignmentMode: 'dedicated' },
      desktop: { id: first.id, sessionState: 'logged_off' },
    });

    const again = (await s.post(`/api/my/pools/${fx.pool.id}/open`)).body.desktop;
    expect(again.id).toBe(first.id);
    expect(again.sessionState).toBe('disconnected');
    await connect(s, again.id);
    expect((await row(first.id)).session_state).toBe('connected');

    // The admin's logoff unassigns: the VM goes, the next open is another desktop.
    const admin = (await createUsers(db.dataSource, ['modes-admin'], UserRole.Admin))[0];
    const a = await HttpSession.login(broker.url, admin.username, PASSWORD);
    expect((await a.post(`/api/admin/sessions/${first.id}/logoff`)).status).toBe(204);
    expect((await row(first.id)).state).toBe(DesktopState.Destroyed);
    expect(fake.children.has(kept.vm_id!)).toBe(false);
    const third = (await s.post(`/api/my/pools/${fx.pool.id}/open`)).body.desktop;
    expect(third.id).not.toBe(first.id);
    expect(await audits(first.id)).toEqual(
      expect.arrayContaining(['desktop.session.logged_off', 'desktop.session.connected']),
    );
  });

  it('takes assignment mode and persistent home in the pools API (400 on bad values)', async () => {
    const fx = await pool({});
    const admin = (await createUsers(db.dataSource, ['pools-admin'], UserRole.Admin))[0];
    const a = await HttpSession.login(broker.url, admin.username, PASSWORD);
    const bad = await a.post('/api/admin/pools', {
      name: 'bad-mode',
      imageId: fx.image.id,
      assignmentMode: 'sticky',
      persistentHome: 'yes',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/assignmentMode/);
    expect(JSON.stringify(bad.body)).toMatch(/persistentHome/);
    const made = await a.post('/api/admin/pools', {
      name: 'dedicated-homes',
      imageId: fx.image.id,
      assignmentMode: 'dedicated',
      persistentHome: true,
      idleTimeoutMin: 30,
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      assignmentMode: 'dedicated',
      persistentHome: true,
      idleTimeoutMin: 30,
    });
    const patched = await a.patch(`/api/admin/pools/${made.body.id}`, {
      assignmentMode: 'floating',
    });
    expect(patched.body).toMatchObject({ assignmentMode: 'floating', persistentHome: true });
    const doc = (await request(broker.url).get('/api/docs-json')).body as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.components.schemas.CreatePoolDto.properties)).toEqual(
      expect.arrayContaining(['assignmentMode', 'persistentHome', 'idleTimeoutMin']),
    );
  });

  it('floating: a closed tunnel disconnects, a reconnect within the timeout gets the same desktop', async () => {
    const fx = await pool({ idleTimeoutMin: 30, minSpare: 1 });
    await tick();
    const s = await login(1);
    const d = (await s.post(`/api/my/pools/${fx.pool.id}/open`)).body.desktop;
    expect((await row(d.id)).session_state).toBeNull();
    const sess = await connect(s, d.id);
    expect(await row(d.id)).toMatchObject({ session_state: 'connected', disconnected_at: null });

    await broker.app.get(TunnelService).closed(sess);
    const dis = await row(d.id);
    expect(dis.session_state).toBe('disconnected');
    expect(dis.disconnected_at).toBeInstanceOf(Date);
    const view = (await s.get(`/api/my/desktops/${d.id}`)).body;
    expect(view).toMatchObject({
      sessionState: 'disconnected',
      disconnectedAt: expect.any(String),
    });

    // 29 minutes later the scheduler leaves it alone; the user comes back to the same desktop.
    clock.offsetMs = 29 * 60_000;
    await tick();
    const back = (await s.post(`/api/my/pools/${fx.pool.id}/open`)).body.desktop;
    expect(back.id).toBe(d.id);
    await connect(s, d.id);
    expect((await row(d.id)).session_state).toBe('connected');
    // A connected desktop never times out.
    clock.offsetMs = 120 * 60_000;
    await tick();
    expect((await row(d.id)).state).toBe(DesktopState.InUse);
    clock.offsetMs = 0;
    expect(await audits(d.id)).toEqual(
      expect.arrayContaining([
        'desktop.session.connected',
        'desktop.session.disconnected',
        'desktop.session.connected',
      ]),
    );
  });

  it('the disconnect timeout logs off: floating is destroyed and refilled, dedicated is kept', async () => {
    const floating = await pool({ idleTimeoutMin: 30, minSpare: 1 });
    const dedicated = await pool({
      idleTimeoutMin: 30,
      minSpare: 0,
      assignmentMode: AssignmentMode.Dedicated,
    });
    await tick();
    const s = await login(2);
    const f = (await s.post(`/api/my/pools/${floating.pool.id}/open`)).body.desktop;
    const d = (await s.post(`/api/my/pools/${dedicated.pool.id}/open`)).body.desktop;
    await broker.app.get(TunnelService).closed(await connect(s, f.id));
    await broker.app.get(TunnelService).closed(await connect(s, d.id));
    const fVm = (await row(f.id)).vm_id!;

    clock.offsetMs = 31 * 60_000;
    await tick();
    clock.offsetMs = 0;
    expect((await row(f.id)).state).toBe(DesktopState.Destroyed);
    expect(fake.children.has(fVm)).toBe(false);
    await tick(); // the refill (the logoff also asked for one)
    expect(await spares(floating.pool.id)).toBe(1);
    expect(await row(d.id)).toMatchObject({
      state: DesktopState.InUse,
      session_state: 'logged_off',
    });
    const [timeout] = (await db.dataSource.query(
      `SELECT details FROM audit_events WHERE target_id = $1 AND action = 'desktop.destroying'`,
      [f.id],
    )) as { details: { reason: string } }[];
    expect(timeout.details.reason).toBe('disconnect timeout');
    // A logged-off dedicated desktop does not time out again.
    clock.offsetMs = 120 * 60_000;
    await tick();
    clock.offsetMs = 0;
    expect((await row(d.id)).state).toBe(DesktopState.InUse);
  });

  it('forks with the desktop id as idempotency key: a lost answer is asked again, one VM', async () => {
    const fx = await pool({ minSpare: 0 });
    const s = await login(3);
    const before = fake.children.size;
    fake.loseNextForkAnswer = true;
    const d = (await s.post(`/api/my/pools/${fx.pool.id}/open`)).body.desktop;
    expect(d.state).toBe(DesktopState.Assigned);
    expect(fake.forkKeys.filter((k) => k === d.id)).toHaveLength(2);
    expect(fake.children.size).toBe(before + 1);
    expect(fake.children.has((await row(d.id)).vm_id!)).toBe(true);
  });

  describe('home disk leases', () => {
    const heartbeat = (agent: Agent, vmIds: string[]) =>
      request(broker.url)
        .post(`/v1/agents/${agent.id}/heartbeat`)
        .set('authorization', `Bearer ${agent.apiToken}`)
        .send({
          agentId: agent.id,
          agentVersion: '0.1.0',
          sentAt: new Date().toISOString(),
          capacity: {
            hostname: 'fake',
            accel: 'tcg',
            totalMiB: 24_000,
            availableMiB: 20_000,
            reserveMiB: 1000,
            children: vmIds.length,
            templates: 1,
            childrenPrivateMiB: 0,
          },
          vms: vmIds.map((id) => ({
            id,
            templateId: 't',
            pid: 1,
            state: 'running',
            vncSocket: '/x',
            createdAt: new Date().toISOString(),
            forkMs: 1,
            warm: false,
          })),
          templates: [],
        });
    const lease = async (userId: string) =>
      (
        (await db.dataSource.query(
          `SELECT desktop_id, agent_id, disk_path, expires_at, expires_at - now() AS left
             FROM user_disk_leases WHERE user_id = $1`,
          [userId],
        )) as { desktop_id: string; agent_id: string; disk_path: string; expires_at: Date }[]
      )[0];

    it('attaches the disk with its lease, renews it by heartbeat, refuses a second desktop, hands it over once lapsed', async () => {
      const a = await pool({ persistentHome: true, minSpare: 1 });
      const b = await pool({ persistentHome: true, minSpare: 0 });
      await tick();
      const u = users[4];
      const s = await login(4);
      const d = (await s.post(`/api/my/pools/${a.pool.id}/open`)).body.desktop;
      const held = await lease(u.id);
      expect(held).toMatchObject({ desktop_id: d.id, agent_id: a.agent.id });
      expect(held.disk_path).toBe(`/var/lib/forkdesk/homes/${u.id}.qcow2`);
      const vm = (await row(d.id)).vm_id!;
      const p = fake.personalized.find((x) => x.vmId === vm)!.p;
      expect(p.persistentDisk).toBe(held.disk_path);
      expect(p.persistentDiskSizeMiB).toBe(2048);
      expect(Date.parse(p.leaseExpiresAt!)).toBeGreaterThan(Date.now() + 20_000);

      // The second pool: the disk is held → 409, nothing half-made.
      const second = await s.post(`/api/my/pools/${b.pool.id}/open`);
      expect(second.status).toBe(409);
      expect(second.body.message).toMatch(/home disk is attached to your desktop in pool/);
      const [{ n }] = (await db.dataSource.query(
        `SELECT count(*)::int AS n FROM desktops WHERE pool_id = $1`,
        [b.pool.id],
      )) as { n: number }[];
      expect(n).toBe(0);

      // A heartbeat running the VM renews it and tells the agent.
      await db.dataSource.query(
        `UPDATE user_disk_leases SET expires_at = now() + interval '5 seconds' WHERE user_id = $1`,
        [u.id],
      );
      const hb = await heartbeat(a.agent, [vm]);
      expect(hb.status).toBe(200);
      expect(hb.body.leases).toEqual([{ vmId: vm, expiresAt: expect.any(String) }]);
      expect(Date.parse(hb.body.leases[0].expiresAt)).toBeGreaterThan(Date.now() + 20_000);

      // Lapsed (the agent is cut off): never renewed again; the agent is told the past expiry.
      await db.dataSource.query(
        `UPDATE user_disk_leases SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [u.id],
      );
      const late = await heartbeat(a.agent, [vm]);
      expect(Date.parse(late.body.leases[0].expiresAt)).toBeLessThan(Date.now());
      // Within the grace the disk is not handed over: 503 with a retry hint.
      const wait = await s.post(`/api/my/pools/${b.pool.id}/open`);
      expect(wait.status).toBe(503);
      expect(Number(wait.headers['retry-after'])).toBeGreaterThan(0);
      // Past the grace the new desktop takes it (the old one's agent has fenced its VM).
      await db.dataSource.query(
        `UPDATE user_disk_leases SET expires_at = now() - interval '1 minute' WHERE user_id = $1`,
        [u.id],
      );
      const moved = await s.post(`/api/my/pools/${b.pool.id}/open`);
      expect(moved.status).toBe(200);
      expect((await lease(u.id)).desktop_id).toBe(moved.body.desktop.id);
      // The old desktop's heartbeat no longer reports (or renews) the lease.
      expect((await heartbeat(a.agent, [vm])).body.leases).toEqual([]);

      // Logoff destroys the floating desktop, and the lease goes with it.
      expect((await s.post(`/api/my/desktops/${moved.body.desktop.id}/logoff`)).status).toBe(204);
      expect(await lease(u.id)).toBeUndefined();
    });

    it('concurrent opens of one user on several pools never hold the disk twice', async () => {
      const pools: Fixture[] = [];
      for (let i = 0; i < 4; i++) pools.push(await pool({ persistentHome: true, minSpare: 1 }));
      await tick();
      const sessions = await Promise.all([5, 6, 7, 8, 9].map((i) => login(i)));
      // Every user opens all four pools at once (half find spares, half fork).
      const answers = await Promise.all(
        sessions.flatMap((s) => pools.map((p) => s.post(`/api/my/pools/${p.pool.id}/open`))),
      );
      const codes = answers.map((r) => r.status);
      const tally = (c: number) => codes.filter((x) => x === c).length;
      process.stdout.write(
        `20 concurrent persistent-home opens (5 users x 4 pools): ${tally(200)} x 200, ${tally(409)} x 409, ${tally(503)} x 503\n`,
      );
      expect(codes.filter((c) => c === 200)).toHaveLength(sessions.length);
      expect(codes.every((c) => c === 200 || c === 409 || c === 503)).toBe(true);
      // In the database: one lease per user, held by that user's only live desktop.
      const rows = (await db.dataSource.query(
        `SELECT u.username,
                (SELECT count(*)::int FROM user_disk_leases l WHERE l.user_id = u.id) AS leases,
                (SELECT count(*)::int FROM desktops d WHERE d.pool_id = ANY($2)
                   AND ((d.assigned_user_id = u.id AND d.state IN ('assigned', 'in_use'))
                     OR (d.reserved_user_id = u.id AND d.state = 'forking'))) AS desktops,
                (SELECT count(*)::int FROM user_disk_leases l JOIN desktops d ON d.id = l.desktop_id
                  WHERE l.user_id = u.id AND (d.assigned_user_id = u.id OR d.reserved_user_id = u.id)) AS held
           FROM users u WHERE u.username = ANY($1) ORDER BY u.username`,
        [['user5', 'user6', 'user7', 'user8', 'user9'], pools.map((p) => p.pool.id)],
      )) as { username: string; leases: number; desktops: number; held: number }[];
      expect(rows).toHaveLength(5);
      for (const r of rows) expect(r).toMatchObject({ leases: 1, desktops: 1, held: 1 });
    });
  });
});
