// CSRF is checked on every state-changing request whatever the path's spelling (routing ignores
// case), and the API takes JSON bodies only, so a plain HTML form from another site gets nowhere.
import { UserRole } from '@forkdesk/db';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import { createUsers, PASSWORD, startBroker, type TestBroker } from '../testing/broker-harness';
import { FakeAgentClient } from '../testing/fake-agent-client';
import { HttpSession } from '../testing/http-session';

jest.setTimeout(60_000);

let db: TestDatabase;
let broker: TestBroker;
let admin: HttpSession;
let alice: HttpSession;

const userNames = async (): Promise<string[]> =>
  ((await admin.get('/api/admin/users')).body as { username: string }[]).map((u) => u.username);

beforeAll(async () => {
  db = await createTestDatabase('broker_csrf');
  broker = await startBroker(db, new FakeAgentClient());
  await createUsers(db.dataSource, ['root'], UserRole.Admin);
  await createUsers(db.dataSource, ['alice']);
  admin = await HttpSession.login(broker.url, 'root', PASSWORD);
  alice = await HttpSession.login(broker.url, 'alice', PASSWORD);
});

afterAll(async () => {
  await broker?.close();
  await db?.drop();
});

describe('CSRF by any path spelling', () => {
  it.each(['/API/admin/users', '/Api/Admin/Users', '/api/admin/users/', '/api//admin/users'])(
    'refuses a JSON POST to %s with the admin cookies and no token',
    async (path) => {
      const res = await admin.agent
        .post(path)
        .send({ username: 'mallory', password: 'mallory-pass-1' });
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/x-csrf-token/);
      expect(await userNames()).not.toContain('mallory');
    },
  );

  it('refuses a logoff by /Api/My/… without the token', async () => {
    const res = await alice.agent.post(
      '/Api/My/desktops/00000000-0000-4000-8000-000000000000/logoff',
    );
    expect(res.status).toBe(403);
  });

  it('checks /v1 too when the caller holds a session cookie; agents without one pass to their auth', async () => {
    expect((await admin.agent.post('/V1/agents/enroll').send({})).status).toBe(403);
    const agentCall = await new HttpSession(broker.url).agent
      .post('/V1/agents/00000000-0000-4000-8000-000000000000/heartbeat')
      .send({});
    expect(agentCall.status).toBe(401);
  });
});

describe('JSON bodies only', () => {
  const form = 'username=mallory&password=mallory-pass-1&role=admin';

  it('refuses a plain HTML form post (urlencoded, no token) as a browser sends it', async () => {
    const res = await admin.agent
      .post('/API/admin/users')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send(form);
    expect(res.status).toBe(415);
    expect(res.body.message).toMatch(/application\/json/);
    expect(await userNames()).not.toContain('mallory');
  });

  it.each(['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x'])(
    'refuses a %s body even with the token',
    async (type) => {
      const res = await admin.agent
        .post('/api/admin/users')
        .set('x-csrf-token', admin.csrf)
        .set('content-type', type)
        .send(form);
      expect(res.status).toBe(415);
      expect(await userNames()).not.toContain('mallory');
    },
  );

  it('still takes JSON with the token', async () => {
    const res = await admin.post('/api/admin/users', {
      username: 'erin',
      password: 'erin-pass-123',
    });
    expect(res.status).toBe(201);
    expect(await userNames()).toContain('erin');
  });
});
