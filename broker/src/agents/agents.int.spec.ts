import { DesktopState } from '@forkdesk/db';
import { createHash } from 'crypto';
import request from 'supertest';
import { httpFixture } from '../testing/http-fixture';

const f = httpFixture('broker_agents');

describe('agents', () => {
  it('enrolls once with a one-time token, then reconciles heartbeats', async () => {
    const t = await f.admin.post('/api/admin/agents/enrollment-tokens', { name: 'host-b' });
    expect(t.status).toBe(201);
    const enroll = {
      enrollmentToken: t.body.token,
      hostname: 'hb',
      agentVersion: '0.1.0',
      apiUrl: 'http://127.0.0.1:7450',
      gatewayAddress: '127.0.0.1:4823',
    };
    const creds = await request(f.broker.url).post('/v1/agents/enroll').send(enroll);
    expect(creds.status).toBe(200);
    expect(creds.body).toEqual({
      agentId: t.body.agentId,
      apiToken: expect.any(String),
      heartbeatToken: expect.any(String),
      displayKey: expect.any(String),
    });
    expect(creds.body.heartbeatToken).not.toBe(creds.body.apiToken);
    // The token the broker only verifies is kept as its sha256; the one it presents in clear.
    const [row] = (await f.db.dataSource.query(
      `SELECT api_token, heartbeat_token_hash FROM agents WHERE id = $1`,
      [t.body.agentId],
    )) as { api_token: string; heartbeat_token_hash: string }[];
    expect(row.heartbeat_token_hash).toBe(
      createHash('sha256').update(creds.body.heartbeatToken).digest('hex'),
    );
    expect(JSON.stringify(row)).not.toContain(creds.body.heartbeatToken);
    expect(row.api_token).toBe(creds.body.apiToken);
    expect((await request(f.broker.url).post('/v1/agents/enroll').send(enroll)).status).toBe(401);

    // A desktop the broker placed on this agent a while ago, one it recorded just now (its fork
    // finished while the heartbeat was in flight), and a VM the agent runs that nobody knows.
    const [d] = (await f.db.dataSource.query(
      `INSERT INTO desktops (pool_id, image_version_id, agent_id, vm_id, state, ready_at) VALUES ($1, $2, $3, 'vm-known', 'ready', now() - interval '1 hour') RETURNING id`,
      [f.fx.pool.id, f.fx.version.id, t.body.agentId],
    )) as { id: string }[];
    const [fresh] = (await f.db.dataSource.query(
      `INSERT INTO desktops (pool_id, image_version_id, agent_id, vm_id, state, ready_at) VALUES ($1, $2, $3, 'vm-fresh', 'ready', now()) RETURNING id`,
      [f.fx.pool.id, f.fx.version.id, t.body.agentId],
    )) as { id: string }[];
    f.fake.children.set('vm-orphan', { id: 'vm-orphan' } as never);
    const old = new Date(Date.now() - 3_600_000).toISOString();
    const hb = {
      agentId: t.body.agentId,
      agentVersion: '0.1.0',
      // Listed a second ago: the fresh desktop was recorded after.
      sentAt: new Date(Date.now() - 1000).toISOString(),
      capacity: await f.fake.capacity(),
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
    expect((await request(f.broker.url).post(path).send(hb)).status).toBe(401);
    // The broker's token for calling the agent is not the agent's for calling the broker.
    const wrong = await request(f.broker.url)
      .post(path)
      .set('authorization', `Bearer ${creds.body.apiToken}`)
      .send(hb);
    expect(wrong.status).toBe(401);
    const ok = await request(f.broker.url)
      .post(path)
      .set('authorization', `Bearer ${creds.body.heartbeatToken}`)
      .send(hb);
    expect(ok.body).toEqual({ orphans: 1, lost: 1, leases: [] });
    expect(await f.desktopState(d.id)).toBe(DesktopState.Lost);
    expect(await f.desktopState(fresh.id)).toBe(DesktopState.Ready);
    await new Promise((r) => setTimeout(r, 50));
    expect(f.fake.children.has('vm-orphan')).toBe(false);
    const agents = await f.admin.get('/api/admin/agents');
    expect(agents.body.find((a: { id: string }) => a.id === t.body.agentId)).toMatchObject({
      name: 'host-b',
      state: 'active',
      gateway: '127.0.0.1:4823',
      availableMib: 20_000,
    });
  });
});
