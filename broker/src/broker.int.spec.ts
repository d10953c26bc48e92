import { verifyTicket } from '@forkdesk/agent-contract';
import { createTestDatabase, DesktopState, type TestDatabase, UserRole } from '@forkdesk/db';
import { randomBytes } from 'crypto';
import { mkdtempSync, writeFileSync } from 'fs';
import { request as httpRequest } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import request from 'supertest';
import { PoolReconciler } from './scheduler/pool-reconciler.service';
import { TunnelKey } from './tunnel/tunnel-key';
import { decryptTunnelToken } from './tunnel/tunnel-token';
import {
  createUsers,
  PASSWORD,
  seedPool,
  startBroker,
  type Fixture,
  type TestBroker,
} from './testing/broker-harness';
import { FakeAgentClient } from './testing/fake-agent-client';
import { HttpSession } from './testing/http-session';

jest.setTimeout(60_000);

let db: TestDatabase;
let broker: TestBroker;
let fake: FakeAgentClient;
let fx: Fixture;
let admin: HttpSession;
let alice: HttpSession;
let bob: HttpSession;

const desktopState = async (id: string): Promise<string> =>
  (
    (await db.dataSource.query(`SELECT state FROM desktops WHERE id = $1`, [id])) as {
      state: string;
    }[]
  )[0].state;

beforeAll(async () => {
  db = await createTestDatabase('broker_http');
  fake = new FakeAgentClient();
  broker = await startBroker(db, fake);
  await createUsers(db.dataSource, ['root'], UserRole.Admin);
  await createUsers(db.dataSource, ['alice', 'bob', 'carol', 'dave']);
  fx = await seedPool(db.dataSource, { minSpare: 1, maxSize: 3 });
  admin = await HttpSession.login(broker.url, 'root', PASSWORD);
  alice = await HttpSession.login(broker.url, 'alice', PASSWORD);
  bob = await HttpSession.login(broker.url, 'bob', PASSWORD);
});

afterAll(async () => {
  await broker?.close();
  await db?.drop();
});

describe('auth', () => {
  it('sets an httpOnly SameSite=Strict session cookie and answers /me', async () => {
    const s = await new HttpSession(broker.url).init();
    const res = await s.post('/api/auth/login', { username: 'Carol', password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ username: 'carol', role: 'user' });
    const cookie = ([] as string[])
      .concat(res.headers['set-cookie'])
      .find((c) => c.startsWith('forkdesk_session='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect((await s.get('/api/auth/me')).body.user.username).toBe('carol');
    expect((await s.post('/api/auth/logout')).status).toBe(204);
    expect((await s.get('/api/auth/me')).status).toBe(401);
  });

  it('refuses writes without the CSRF header, and bad logins with 401', async () => {
    const s = await new HttpSession(broker.url).init();
    const noCsrf = await s.agent
      .post('/api/auth/login')
      .send({ username: 'alice', password: PASSWORD });
    expect(noCsrf.status).toBe(403);
    expect((await s.post('/api/auth/login', { username: 'alice', password: 'nope' })).status).toBe(
      401,
    );
    expect((await s.post('/api/auth/login', { username: 'nobody', password: 'nope' })).status).toBe(
      401,
    );
    const bad = await s.post('/api/auth/login', { username: '', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(
      expect.arrayContaining(['property extra should not exist', 'password must be a string']),
    );
  });

  it('locks an account after 5 failures in a row (429 + Retry-After)', async () => {
    const s = await new HttpSession(broker.url).init();
    for (let i = 0; i < 5; i++) {
      expect(
        (await s.post('/api/auth/login', { username: 'dave', password: 'wrong' })).status,
      ).toBe(401);
    }
    const locked = await s.post('/api/auth/login', { username: 'dave', password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    const audit = await admin.get('/api/admin/audit?action=auth.lockout');
    expect(audit.body).toHaveLength(1);
  });

  it('changes a password and ends the other sessions', async () => {
    const s1 = await HttpSession.login(broker.url, 'carol', PASSWORD);
    const s2 = await HttpSession.login(broker.url, 'carol', PASSWORD);
    expect(
      (await s1.post('/api/auth/password', { currentPassword: 'x', newPassword: 'new password 1' }))
        .status,
    ).toBe(401);
    expect(
      (await s1.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'short' }))
        .status,
    ).toBe(400);
    expect(
      (
        await s1.post('/api/auth/password', {
          currentPassword: PASSWORD,
          newPassword: 'new password 1',
        })
      ).status,
    ).toBe(204);
    expect((await s1.get('/api/auth/me')).status).toBe(200);
    expect((await s2.get('/api/auth/me')).status).toBe(401);
    await HttpSession.login(broker.url, 'carol', 'new password 1');
  });

  it('keeps admin routes for admins: 401 without a session, 403 for users', async () => {
    expect((await request(broker.url).get('/api/admin/users')).status).toBe(401);
    expect((await alice.get('/api/admin/users')).status).toBe(403);
    expect((await admin.get('/api/admin/users')).status).toBe(200);
  });
});

describe('admin: users, groups, images, pools', () => {
  it('manages users and groups with 400/409 on bad input', async () => {
    const u = await admin.post('/api/admin/users', {
      username: 'erin',
      password: 'erin password',
      role: 'user',
    });
    expect(u.status).toBe(201);
    expect(
      (await admin.post('/api/admin/users', { username: 'ERIN', password: 'erin password' }))
        .status,
    ).toBe(409);
    const bad = await admin.post('/api/admin/users', {
      username: '../x',
      password: 'short',
      role: 'boss',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toHaveLength(3);
    const g = await admin.post('/api/admin/groups', { name: 'eng' });
    expect(g.status).toBe(201);
    expect((await admin.post('/api/admin/groups', { name: 'eng' })).status).toBe(409);
    expect(
      (await admin.post(`/api/admin/groups/${g.body.id}/members`, { userId: u.body.id })).status,
    ).toBe(204);
    expect(
      (await admin.post(`/api/admin/groups/${g.body.id}/members`, { userId: u.body.id })).status,
    ).toBe(409);
    const groups = await admin.get('/api/admin/groups');
    expect(groups.body[0].members).toEqual([{ id: u.body.id, username: 'erin' }]);
    expect((await admin.patch(`/api/admin/users/${u.body.id}`, { disabled: true })).status).toBe(
      200,
    );
    expect(
      (
        await new HttpSession(broker.url)
          .init()
          .then((s) => s.post('/api/auth/login', { username: 'erin', password: 'erin password' }))
      ).status,
    ).toBe(401);
    expect((await admin.delete(`/api/admin/users/${u.body.id}`)).status).toBe(204);
    expect((await admin.delete(`/api/admin/users/${u.body.id}`)).status).toBe(404);
  });

  it('imports a version from a manifest, publishes, rolls back and retires', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-img-'));
    const manifest = (hash: string) => {
      const disk = join(dir, `${hash}.qcow2`);
      writeFileSync(disk, 'qcow2');
      const path = join(dir, `${hash}.json`);
      writeFileSync(
        path,
        JSON.stringify({ name: 'desk', hash, disk, kernel: '/boot/vmlinuz', append: 'quiet' }),
      );
      return path;
    };
    const img = await admin.post('/api/admin/images', { name: 'desk', description: 'desktop' });
    expect(img.status).toBe(201);
    expect((await admin.post('/api/admin/images', { name: 'desk' })).status).toBe(409);
    const v1 = await admin.post(`/api/admin/images/${img.body.id}/versions`, {
      manifestPath: manifest('aaaaaaaa1'),
    });
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ version: 1, state: 'ready', sizeBytes: 5 });
    const v2 = await admin.post(`/api/admin/images/${img.body.id}/versions`, {
      manifestPath: manifest('bbbbbbbb2'),
    });
    expect(v2.body.version).toBe(2);
    expect(
      (
        await admin.post(`/api/admin/images/${img.body.id}/versions`, {
          manifestPath: join(dir, 'aaaaaaaa1.json'),
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await admin.post(`/api/admin/images/${img.body.id}/versions`, {
          manifestPath: '/nonexistent.json',
        })
      ).status,
    ).toBe(400);
    expect(
      (await admin.post(`/api/admin/images/${img.body.id}/versions`, { manifest: { hash: 'x' } }))
        .status,
    ).toBe(400);
    expect((await admin.post(`/api/admin/versions/${v1.body.id}/publish`)).body.state).toBe(
      'published',
    );
    expect((await admin.post(`/api/admin/versions/${v2.body.id}/publish`)).body.state).toBe(
      'published',
    );
    let images = await admin.get('/api/admin/images');
    expect(images.body.find((i: { name: string }) => i.name === 'desk').currentVersionId).toBe(
      v2.body.id,
    );
    expect((await admin.post(`/api/admin/versions/${v1.body.id}/rollback`)).status).toBe(409);
    expect((await admin.post(`/api/admin/versions/${v2.body.id}/rollback`)).body.state).toBe(
      'ready',
    );
    images = await admin.get('/api/admin/images');
    expect(images.body.find((i: { name: string }) => i.name === 'desk').currentVersionId).toBe(
      v1.body.id,
    );
    expect((await admin.post(`/api/admin/versions/${v2.body.id}/retire`)).body.state).toBe(
      'retired',
    );
    expect((await admin.post(`/api/admin/versions/${v2.body.id}/publish`)).status).toBe(409);
    const audit = await admin.get('/api/admin/audit?action=image.');
    expect(audit.body.map((e: { action: string }) => e.action)).toContain('image.version_rollback');
  });

  it('creates pools with entitlements; 400 on bad shapes, 409 on duplicates', async () => {
    const bad = await admin.post('/api/admin/pools', {
      name: 'p',
      imageId: fx.image.id,
      minSpare: 5,
      maxSize: 2,
      memoryMib: 1,
    });
    expect(bad.status).toBe(400);
    const p = await admin.post('/api/admin/pools', {
      name: 'second',
      imageId: fx.image.id,
      minSpare: 0,
      maxSize: 2,
      refreshPolicy: 'nightly',
    });
    expect(p.status).toBe(201);
    expect(p.body.imageVersionId).toBe(fx.version.id); // nightly pools hold their version
    expect(
      (await admin.post('/api/admin/pools', { name: 'second', imageId: fx.image.id })).status,
    ).toBe(409);
    const ent = await admin.post(`/api/admin/pools/${p.body.id}/entitlements`, {
      userId: (await admin.get('/api/auth/me')).body.user.id,
    });
    expect(ent.status).toBe(201);
    expect((await admin.post(`/api/admin/pools/${p.body.id}/entitlements`, {})).status).toBe(400);
    expect(
      (await admin.delete(`/api/admin/pools/${p.body.id}/entitlements/${ent.body.id}`)).status,
    ).toBe(204);
    expect((await admin.patch(`/api/admin/pools/${p.body.id}`, { maxSize: 4 })).body.maxSize).toBe(
      4,
    );
    expect((await admin.delete(`/api/admin/pools/${p.body.id}`)).status).toBe(204);
    expect((await admin.get(`/api/admin/pools/${p.body.id}`)).status).toBe(404);
  });
});

describe('desktops', () => {
  let desktopId: string;

  beforeAll(async () => {
    const users = (await admin.get('/api/admin/users')).body as { id: string; username: string }[];
    const g = await admin.post('/api/admin/groups', { name: 'staff' });
    for (const name of ['alice', 'bob']) {
      const id = users.find((u) => u.username === name)!.id;
      await admin.post(`/api/admin/groups/${g.body.id}/members`, { userId: id });
    }
    await admin.post(`/api/admin/pools/${fx.pool.id}/entitlements`, { groupId: g.body.id });
  });

  it('keeps minSpare spares, assigns one on open, personalizes it', async () => {
    const r = await broker.app.get(PoolReconciler).reconcilePool(fx.pool.id);
    expect(r.forked).toBe(1);
    const mine = await alice.get('/api/my/pools');
    expect(mine.body).toEqual([
      {
        pool: expect.objectContaining({ id: fx.pool.id, vcpus: 1, memoryMib: 256 }),
        desktop: null,
      },
    ]);
    const open = await alice.post(`/api/my/pools/${fx.pool.id}/open`);
    expect(open.status).toBe(200);
    expect(open.body.desktop).toMatchObject({ state: 'assigned', poolId: fx.pool.id });
    desktopId = open.body.desktop.id;
    const again = await alice.post(`/api/my/pools/${fx.pool.id}/open`);
    expect(again.body.desktop.id).toBe(desktopId);
    expect(fake.personalized.at(-1)?.p).toMatchObject({ userName: 'alice', syncClock: true });
    expect((await alice.get('/api/my/pools')).body[0].desktop).toMatchObject({
      id: desktopId,
      state: 'assigned',
    });
  });

  it('gives a tunnel token naming the gateway, with a ticket signed for this user and desktop', async () => {
    const res = await alice.post(`/api/my/desktops/${desktopId}/connect`);
    expect(res.status).toBe(200);
    expect(res.body.tunnelPath).toBe('/tunnel');
    const tok = decryptTunnelToken(res.body.token, broker.app.get(TunnelKey).get());
    expect(tok.connection).toMatchObject({ type: 'vnc', guacdHost: '127.0.0.1', guacdPort: 4823 });
    const vm = (
      (await db.dataSource.query(`SELECT vm_id FROM desktops WHERE id = $1`, [desktopId])) as {
        vm_id: string;
      }[]
    )[0].vm_id;
    expect(tok.connection.settings.desktop).toBe(vm);
    const check = verifyTicket(String(tok.connection.settings.ticket), fx.agent.displayKey!);
    expect(check).toMatchObject({ ok: true, ticket: { desktop: vm, mode: 'control' } });
    expect(await desktopState(desktopId)).toBe(DesktopState.InUse);
  });

  it('refuses a WebSocket upgrade with a bad tunnel token (401) and keeps serving', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${broker.url}/tunnel?token=none`, {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        },
      });
      req.on('response', (r) => resolve(r.statusCode ?? 0));
      req.on('upgrade', () => resolve(101));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
    expect((await request(broker.url).get('/health')).status).toBe(200);
  });

  it("hides another user's desktop (404), lets an admin shadow and see it", async () => {
    expect((await bob.get(`/api/my/desktops/${desktopId}`)).status).toBe(404);
    expect((await bob.post(`/api/my/desktops/${desktopId}/connect`)).status).toBe(404);
    expect((await bob.post(`/api/my/desktops/${desktopId}/logoff`)).status).toBe(404);
    expect(
      (await bob.post(`/api/my/desktops/00000000-0000-0000-0000-000000000000/logoff`)).status,
    ).toBe(404);
    expect((await bob.post(`/api/admin/sessions/${desktopId}/shadow`)).status).toBe(403);
    const shadow = await admin.post(`/api/admin/sessions/${desktopId}/shadow`);
    expect(shadow.status).toBe(200);
    const tok = decryptTunnelToken(shadow.body.token, broker.app.get(TunnelKey).get());
    expect(
      verifyTicket(String(tok.connection.settings.ticket), fx.agent.displayKey!),
    ).toMatchObject({ ticket: { mode: 'view' } });
    const sessions = await admin.get('/api/admin/sessions');
    expect(sessions.body).toEqual([
      expect.objectContaining({ desktopId, username: 'alice', connected: true }),
    ]);
  });

  it('forks on open when no spare is left, and answers 503 + Retry-After at max', async () => {
    const open = await bob.post(`/api/my/pools/${fx.pool.id}/open`);
    expect(open.status).toBe(200);
    expect(open.body.desktop.state).toBe('assigned'); // the fake agent forks at once
    const status = await bob.get(`/api/my/desktops/${open.body.desktop.id}`);
    expect(status.body).toEqual({
      id: open.body.desktop.id,
      state: 'assigned',
      poolId: fx.pool.id,
      sessionState: null,
      disconnectedAt: null,
    });
    await admin.post(`/api/admin/pools/${fx.pool.id}/entitlements`, {
      userId: (await admin.get('/api/auth/me')).body.user.id,
    });
    await broker.app.get(PoolReconciler).reconcilePool(fx.pool.id); // third (last) slot: a spare
    const carol = await HttpSession.login(broker.url, 'root', PASSWORD);
    const third = await carol.post(`/api/my/pools/${fx.pool.id}/open`);
    expect(third.body.desktop.state).toBe('assigned');
    const dave = await admin.post('/api/admin/users', {
      username: 'frank',
      password: 'frank password',
    });
    await admin.post(`/api/admin/pools/${fx.pool.id}/entitlements`, { userId: dave.body.id });
    const frank = await HttpSession.login(broker.url, 'frank', 'frank password');
    const full = await frank.post(`/api/my/pools/${fx.pool.id}/open`);
    expect(full.status).toBe(503);
    expect(full.headers['retry-after']).toBe('30');
    expect(
      (await frank.post(`/api/my/pools/00000000-0000-0000-0000-000000000000/open`)).status,
    ).toBe(404);
  });

  it('logs off: destroyed on the agent, then the pool refills to minSpare', async () => {
    const vm = (
      (await db.dataSource.query(`SELECT vm_id FROM desktops WHERE id = $1`, [desktopId])) as {
        vm_id: string;
      }[]
    )[0].vm_id;
    expect((await alice.post(`/api/my/desktops/${desktopId}/logoff`)).status).toBe(204);
    expect(await desktopState(desktopId)).toBe(DesktopState.Destroyed);
    expect(fake.children.has(vm)).toBe(false);
    // Logging off again is harmless.
    expect((await alice.post(`/api/my/desktops/${desktopId}/logoff`)).status).toBe(204);
    await broker.app.get(PoolReconciler).reconcilePool(fx.pool.id);
    const spares = (await db.dataSource.query(
      `SELECT count(*)::int AS n FROM desktops WHERE pool_id = $1 AND state = 'ready'`,
      [fx.pool.id],
    )) as { n: number }[];
    expect(spares[0].n).toBe(1);
    const trail = (await admin.get(`/api/admin/audit?action=desktop.&limit=1000`)).body as {
      targetId: string;
      action: string;
    }[];
    const states = trail.filter(
      (e) => e.targetId === desktopId && !/connect|shadow/.test(e.action),
    );
    expect(states.map((e) => e.action).reverse()).toEqual([
      'desktop.forking',
      'desktop.ready',
      'desktop.assigned',
      'desktop.in_use',
      'desktop.destroying',
      'desktop.destroyed',
    ]);
  });
});

describe('agents', () => {
  it('enrolls once with a one-time token, then reconciles heartbeats', async () => {
    const t = await admin.post('/api/admin/agents/enrollment-tokens', { name: 'host-b' });
    expect(t.status).toBe(201);
    const enroll = {
      enrollmentToken: t.body.token,
      hostname: 'hb',
      agentVersion: '0.1.0',
      apiUrl: 'http://127.0.0.1:7450',
      gatewayAddress: '127.0.0.1:4823',
    };
    const creds = await request(broker.url).post('/v1/agents/enroll').send(enroll);
    expect(creds.status).toBe(200);
    expect(creds.body).toEqual({
      agentId: t.body.agentId,
      apiToken: expect.any(String),
      displayKey: expect.any(String),
    });
    expect((await request(broker.url).post('/v1/agents/enroll').send(enroll)).status).toBe(401);

    // A desktop the broker placed on this agent a while ago, one it recorded just now (its fork
    // finished while the heartbeat was in flight), and a VM the agent runs that nobody knows.
    const [d] = (await db.dataSource.query(
      `INSERT INTO desktops (pool_id, image_version_id, agent_id, vm_id, state, ready_at) VALUES ($1, $2, $3, 'vm-known', 'ready', now() - interval '1 hour') RETURNING id`,
      [fx.pool.id, fx.version.id, t.body.agentId],
    )) as { id: string }[];
    const [fresh] = (await db.dataSource.query(
      `INSERT INTO desktops (pool_id, image_version_id, agent_id, vm_id, state, ready_at) VALUES ($1, $2, $3, 'vm-fresh', 'ready', now()) RETURNING id`,
      [fx.pool.id, fx.version.id, t.body.agentId],
    )) as { id: string }[];
    fake.children.set('vm-orphan', { id: 'vm-orphan' } as never);
    const old = new Date(Date.now() - 3_600_000).toISOString();
    const hb = {
      agentId: t.body.agentId,
      agentVersion: '0.1.0',
      // Listed a second ago: the fresh desktop was recorded after.
      sentAt: new Date(Date.now() - 1000).toISOString(),
      capacity: await fake.capacity(),
      vms: [
        {
          id: 'vm-orphan',
          templateId: 't',
          pid: 1,
          state: 'running',
          vncSocket: '/x',
          createdAt: old,
          forkMs: 1,
          warm: false,
        },
      ],
      templates: [],
    };
    const path = `/v1/agents/${t.body.agentId}/heartbeat`;
    expect((await request(broker.url).post(path).send(hb)).status).toBe(401);
    const ok = await request(broker.url)
      .post(path)
      .set('authorization', `Bearer ${creds.body.apiToken}`)
      .send(hb);
    expect(ok.body).toEqual({ orphans: 1, lost: 1, leases: [] });
    expect(await desktopState(d.id)).toBe(DesktopState.Lost);
    expect(await desktopState(fresh.id)).toBe(DesktopState.Ready);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.children.has('vm-orphan')).toBe(false);
    const agents = await admin.get('/api/admin/agents');
    expect(agents.body.find((a: { id: string }) => a.id === t.body.agentId)).toMatchObject({
      name: 'host-b',
      state: 'active',
      gateway: '127.0.0.1:4823',
      availableMib: 20_000,
    });
  });
});

describe('service', () => {
  it('serves /health, /metrics and the OpenAPI document', async () => {
    expect((await request(broker.url).get('/health')).body).toEqual({ status: 'ok', db: 'ok' });
    const m = await request(broker.url).get('/metrics');
    expect(m.text).toMatch(/forkdesk_broker_logins_total\{result="ok"\}/);
    expect(m.text).toMatch(/forkdesk_broker_desktops\{state="ready"\}/);
    const doc = await request(broker.url).get('/api/docs-json');
    expect(Object.keys(doc.body.paths)).toContain('/api/my/pools/{poolId}/open');
  });
});
