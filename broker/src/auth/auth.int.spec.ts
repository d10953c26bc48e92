import request from 'supertest';
import { PASSWORD } from '../testing/broker-harness';
import { HttpSession } from '../testing/http-session';
import { httpFixture } from '../testing/http-fixture';

const f = httpFixture('broker_auth');

describe('auth', () => {
  it('sets an httpOnly SameSite=Strict session cookie and answers /me', async () => {
    const s = await new HttpSession(f.broker.url).init();
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
    const s = await new HttpSession(f.broker.url).init();
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
    const s = await new HttpSession(f.broker.url).init();
    for (let i = 0; i < 5; i++) {
      expect(
        (await s.post('/api/auth/login', { username: 'dave', password: 'wrong' })).status,
      ).toBe(401);
    }
    const locked = await s.post('/api/auth/login', { username: 'dave', password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    const audit = await f.admin.get('/api/admin/audit?action=auth.lockout');
    expect(audit.body).toHaveLength(1);
  });

  it('changes a password and ends the other sessions', async () => {
    const s1 = await HttpSession.login(f.broker.url, 'carol', PASSWORD);
    const s2 = await HttpSession.login(f.broker.url, 'carol', PASSWORD);
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
    await HttpSession.login(f.broker.url, 'carol', 'new password 1');
  });

  it('keeps admin routes for admins: 401 without a session, 403 for users', async () => {
    expect((await request(f.broker.url).get('/api/admin/users')).status).toBe(401);
    expect((await f.alice.get('/api/admin/users')).status).toBe(403);
    expect((await f.admin.get('/api/admin/users')).status).toBe(200);
  });
});
