import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { httpFixture } from '../testing/http-fixture';

const f = httpFixture('broker_images');

describe('admin: images', () => {
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
    const img = await f.admin.post('/api/admin/images', { name: 'desk', description: 'desktop' });
    expect(img.status).toBe(201);
    expect((await f.admin.post('/api/admin/images', { name: 'desk' })).status).toBe(409);
    const v1 = await f.admin.post(`/api/admin/images/${img.body.id}/versions`, {
      manifestPath: manifest('aaaaaaaa1'),
    });
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ version: 1, state: 'ready', sizeBytes: 5 });
    const v2 = await f.admin.post(`/api/admin/images/${img.body.id}/versions`, {
      manifestPath: manifest('bbbbbbbb2'),
    });
    expect(v2.body.version).toBe(2);
    expect(
      (
        await f.admin.post(`/api/admin/images/${img.body.id}/versions`, {
          manifestPath: join(dir, 'aaaaaaaa1.json'),
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await f.admin.post(`/api/admin/images/${img.body.id}/versions`, {
          manifestPath: '/nonexistent.json',
        })
      ).status,
    ).toBe(400);
    expect(
      (await f.admin.post(`/api/admin/images/${img.body.id}/versions`, { manifest: { hash: 'x' } }))
        .status,
    ).toBe(400);
    expect((await f.admin.post(`/api/admin/versions/${v1.body.id}/publish`)).body.state).toBe(
      'published',
    );
    expect((await f.admin.post(`/api/admin/versions/${v2.body.id}/publish`)).body.state).toBe(
      'published',
    );
    let images = await f.admin.get('/api/admin/images');
    expect(images.body.find((i: { name: string }) => i.name === 'desk').currentVersionId).toBe(
      v2.body.id,
    );
    expect((await f.admin.post(`/api/admin/versions/${v1.body.id}/rollback`)).status).toBe(409);
    expect((await f.admin.post(`/api/admin/versions/${v2.body.id}/rollback`)).body.state).toBe(
      'ready',
    );
    images = await f.admin.get('/api/admin/images');
    expect(images.body.find((i: { name: string }) => i.name === 'desk').currentVersionId).toBe(
      v1.body.id,
    );
    expect((await f.admin.post(`/api/admin/versions/${v2.body.id}/retire`)).body.state).toBe(
      'retired',
    );
    expect((await f.admin.post(`/api/admin/versions/${v2.body.id}/publish`)).status).toBe(409);
    const audit = await f.admin.get('/api/admin/audit?action=image.');
    expect(audit.body.map((e: { action: string }) => e.action)).toContain('image.version_rollback');
  });
});
