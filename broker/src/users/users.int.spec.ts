import { HttpSession } from '../testing/http-session';
import { httpFixture } from '../testing/http-fixture';

const f = httpFixture('broker_users');

describe('admin: users and groups', () => {
  it('manages users and groups with 400/409 on bad input', async () => {
    const u = await f.admin.post('/api/admin/users', {
      username: 'erin',
      password: 'erin password',
      role: 'user',
    });
    expect(u.status).toBe(201);
    expect(
      (await f.admin.post('/api/admin/users', { username: 'ERIN', password: 'erin password' }))
        .status,
    ).toBe(409);
    const bad = await f.admin.post('/api/admin/users', {
      username: '../x',
      password: 'short',
      role: 'boss',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toHaveLength(3);
    const g = await f.admin.post('/api/admin/groups', { name: 'eng' });
    expect(g.status).toBe(201);
    expect((await f.admin.post('/api/admin/groups', { name: 'eng' })).status).toBe(409);
    expect(
      (await f.admin.post(`/api/admin/groups/${g.body.id}/members`, { userId: u.body.id })).status,
    ).toBe(204);
    expect(
      (await f.admin.post(`/api/admin/groups/${g.body.id}/members`, { userId: u.body.id })).status,
    ).toBe(409);
    const groups = await f.admin.get('/api/admin/groups');
    expect(groups.body[0].members).toEqual([{ id: u.body.id, username: 'erin' }]);
    expect((await f.admin.patch(`/api/admin/users/${u.body.id}`, { disabled: true })).status).toBe(
      200,
    );
    expect(
      (
        await new HttpSession(f.broker.url)
          .init()
          .then((s) => s.post('/api/auth/login', { username: 'erin', password: 'erin password' }))
      ).status,
    ).toBe(401);
    expect((await f.admin.delete(`/api/admin/users/${u.body.id}`)).status).toBe(204);
    expect((await f.admin.delete(`/api/admin/users/${u.body.id}`)).status).toBe(404);
  });
});
