import { httpFixture } from '../testing/http-fixture';

const f = httpFixture('broker_pools');

describe('admin: pools', () => {
  it('creates pools with entitlements; 400 on bad shapes, 409 on duplicates', async () => {
    const bad = await f.admin.post('/api/admin/pools', {
      name: 'p',
      imageId: f.fx.image.id,
      minSpare: 5,
      maxSize: 2,
      memoryMib: 1,
    });
    expect(bad.status).toBe(400);
    const p = await f.admin.post('/api/admin/pools', {
      name: 'second',
      imageId: f.fx.image.id,
      minSpare: 0,
      maxSize: 2,
      refreshPolicy: 'nightly',
    });
    expect(p.status).toBe(201);
    expect(p.body.imageVersionId).toBe(f.fx.version.id); // nightly pools hold their version
    expect(
      (await f.admin.post('/api/admin/pools', { name: 'second', imageId: f.fx.image.id })).status,
    ).toBe(409);
    const ent = await f.admin.post(`/api/admin/pools/${p.body.id}/entitlements`, {
      userId: (await f.admin.get('/api/auth/me')).body.user.id,
    });
    expect(ent.status).toBe(201);
    expect((await f.admin.post(`/api/admin/pools/${p.body.id}/entitlements`, {})).status).toBe(400);
    expect(
      (await f.admin.delete(`/api/admin/pools/${p.body.id}/entitlements/${ent.body.id}`)).status,
    ).toBe(204);
    expect(
      (await f.admin.patch(`/api/admin/pools/${p.body.id}`, { maxSize: 4 })).body.maxSize,
    ).toBe(4);
    expect((await f.admin.delete(`/api/admin/pools/${p.body.id}`)).status).toBe(204);
    expect((await f.admin.get(`/api/admin/pools/${p.body.id}`)).status).toBe(404);
  });
});
