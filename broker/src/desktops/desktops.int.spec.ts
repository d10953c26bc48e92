import { verifyTicket } from '@forkdesk/agent-contract';
import { DesktopState } from '@forkdesk/db';
import { randomBytes } from 'crypto';
import { request as httpRequest } from 'http';
import request from 'supertest';
import { PoolReconciler } from '../scheduler/pool-reconciler.service';
import { PASSWORD } from '../testing/broker-harness';
import { HttpSession } from '../testing/http-session';
import { TunnelKey } from '../tunnel/tunnel-key';
import { decryptTunnelToken } from '../tunnel/tunnel-token';
import { httpFixture } from '../testing/http-fixture';

const f = httpFixture('broker_desktops');

describe('desktops', () => {
  let desktopId: string;

  beforeAll(async () => {
    const users = (await f.admin.get('/api/admin/users')).body as {
      id: string;
      username: string;
    }[];
    const g = await f.admin.post('/api/admin/groups', { name: 'staff' });
    for (const name of ['alice', 'bob']) {
      const id = users.find((u) => u.username === name)!.id;
      await f.admin.post(`/api/admin/groups/${g.body.id}/members`, { userId: id });
    }
    await f.admin.post(`/api/admin/pools/${f.fx.pool.id}/entitlements`, { groupId: g.body.id });
  });

  it('keeps minSpare spares, assigns one on open, personalizes it', async () => {
    const r = await f.broker.app.get(PoolReconciler).reconcilePool(f.fx.pool.id);
    expect(r.forked).toBe(1);
    const mine = await f.alice.get('/api/my/pools');
    expect(mine.body).toEqual([
      {
        pool: expect.objectContaining({ id: f.fx.pool.id, vcpus: 1, memoryMib: 256 }),
        desktop: null,
      },
    ]);
    const open = await f.alice.post(`/api/my/pools/${f.fx.pool.id}/open`);
    expect(open.status).toBe(200);
    expect(open.body.desktop).toMatchObject({ state: 'assigned', poolId: f.fx.pool.id });
    desktopId = open.body.desktop.id;
    const again = await f.alice.post(`/api/my/pools/${f.fx.pool.id}/open`);
    expect(again.body.desktop.id).toBe(desktopId);
    expect(f.fake.personalized.at(-1)?.p).toMatchObject({ userName: 'alice', syncClock: true });
    expect((await f.alice.get('/api/my/pools')).body[0].desktop).toMatchObject({
      id: desktopId,
      state: 'assigned',
    });
  });

  it('gives a tunnel token naming the gateway, with a ticket signed for this user and desktop', async () => {
    const res = await f.alice.post(`/api/my/desktops/${desktopId}/connect`);
    expect(res.status).toBe(200);
    expect(res.body.tunnelPath).toBe('/tunnel');
    const tok = decryptTunnelToken(res.body.token, f.broker.app.get(TunnelKey).get());
    expect(tok.connection).toMatchObject({ type: 'vnc', guacdHost: '127.0.0.1', guacdPort: 4823 });
    const vm = (
      (await f.db.dataSource.query(`SELECT vm_id FROM desktops WHERE id = $1`, [desktopId])) as {
        vm_id: string;
      }[]
    )[0].vm_id;
    expect(tok.connection.settings.desktop).toBe(vm);
    const check = verifyTicket(String(tok.connection.settings.ticket), f.fx.agent.displayKey!);
    expect(check).toMatchObject({ ok: true, ticket: { desktop: vm, mode: 'control' } });
    expect(await f.desktopState(desktopId)).toBe(DesktopState.InUse);
  });

  it('refuses a WebSocket upgrade with a bad tunnel token (401) and keeps serving', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${f.broker.url}/tunnel?token=none`, {
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
    expect((await request(f.broker.url).get('/health')).status).toBe(200);
  });

  it("hides another user's desktop (404), lets an admin shadow and see it", async () => {
    expect((await f.bob.get(`/api/my/desktops/${desktopId}`)).status).toBe(404);
    expect((await f.bob.post(`/api/my/desktops/${desktopId}/connect`)).status).toBe(404);
    expect((await f.bob.post(`/api/my/desktops/${desktopId}/logoff`)).status).toBe(404);
    expect(
      (await f.bob.post(`/api/my/desktops/00000000-0000-0000-0000-000000000000/logoff`)).status,
    ).toBe(404);
    expect((await f.bob.post(`/api/admin/sessions/${desktopId}/shadow`)).status).toBe(403);
    const shadow = await f.admin.post(`/api/admin/sessions/${desktopId}/shadow`);
    expect(shadow.status).toBe(200);
    const tok = decryptTunnelToken(shadow.body.token, f.broker.app.get(TunnelKey).get());
    expect(
      verifyTicket(String(tok.connection.settings.ticket), f.fx.agent.displayKey!),
    ).toMatchObject({ ticket: { mode: 'view' } });
    const sessions = await f.admin.get('/api/admin/sessions');
    expect(sessions.body).toEqual([
      expect.objectContaining({ desktopId, username: 'alice', connected: true }),
    ]);
  });

  it('forks on open when no spare is left, and answers 503 + Retry-After at max', async () => {
    const open = await f.bob.post(`/api/my/pools/${f.fx.pool.id}/open`);
    expect(open.status).toBe(200);
    expect(open.body.desktop.state).toBe('assigned'); // the fake agent forks at once
    const status = await f.bob.get(`/api/my/desktops/${open.body.desktop.id}`);
    expect(status.body).toEqual({
      id: open.body.desktop.id,
      state: 'assigned',
      step: 'ready',
      poolId: f.fx.pool.id,
      sessionState: null,
      disconnectedAt: null,
    });
    await f.admin.post(`/api/admin/pools/${f.fx.pool.id}/entitlements`, {
      userId: (await f.admin.get('/api/auth/me')).body.user.id,
    });
    await f.broker.app.get(PoolReconciler).reconcilePool(f.fx.pool.id); // third (last) slot: a spare
    const carol = await HttpSession.login(f.broker.url, 'root', PASSWORD);
    const third = await carol.post(`/api/my/pools/${f.fx.pool.id}/open`);
    expect(third.body.desktop.state).toBe('assigned');
    const dave = await f.admin.post('/api/admin/users', {
      username: 'frank',
      password: 'frank password',
    });
    await f.admin.post(`/api/admin/pools/${f.fx.pool.id}/entitlements`, { userId: dave.body.id });
    const frank = await HttpSession.login(f.broker.url, 'frank', 'frank password');
    const full = await frank.post(`/api/my/pools/${f.fx.pool.id}/open`);
    expect(full.status).toBe(503);
    expect(full.headers['retry-after']).toBe('30');
    expect(
      (await frank.post(`/api/my/pools/00000000-0000-0000-0000-000000000000/open`)).status,
    ).toBe(404);
  });

  it('logs off: destroyed on the agent, then the pool refills to minSpare', async () => {
    const vm = (
      (await f.db.dataSource.query(`SELECT vm_id FROM desktops WHERE id = $1`, [desktopId])) as {
        vm_id: string;
      }[]
    )[0].vm_id;
    expect((await f.alice.post(`/api/my/desktops/${desktopId}/logoff`)).status).toBe(204);
    expect(await f.desktopState(desktopId)).toBe(DesktopState.Destroyed);
    expect(f.fake.children.has(vm)).toBe(false);
    // Logging off again is harmless.
    expect((await f.alice.post(`/api/my/desktops/${desktopId}/logoff`)).status).toBe(204);
    await f.broker.app.get(PoolReconciler).reconcilePool(f.fx.pool.id);
    const spares = (await f.db.dataSource.query(
      `SELECT count(*)::int AS n FROM desktops WHERE pool_id = $1 AND state = 'ready'`,
      [f.fx.pool.id],
    )) as { n: number }[];
    expect(spares[0].n).toBe(1);
    const trail = (await f.admin.get(`/api/admin/audit?action=desktop.&limit=1000`)).body as {
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
