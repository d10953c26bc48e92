import { Entitlement, Group, User, UserRole } from '@forkdesk/db';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FakeAgentClient } from '../testing/fake-agent-client';
import { startBroker, type TestBroker } from '../testing/broker-harness';
import { setUpLocal, type LocalSetupOptions } from './local-setup';

jest.setTimeout(60_000);

describe('local set-up for npm run up (real PostgreSQL)', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let dir: string;
  let opts: LocalSetupOptions;

  beforeAll(async () => {
    db = await createTestDatabase('setup');
    broker = await startBroker(db, new FakeAgentClient());
    const m = db.dataSource.manager;
    await m.save(m.create(User, { username: 'admin', role: UserRole.Admin }));
    dir = mkdtempSync(join(tmpdir(), 'setup-'));
    writeFileSync(join(dir, 'disk.qcow2'), 'qcow2');
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        hash: 'abcdef0123456789',
        disk: join(dir, 'disk.qcow2'),
        kernel: '/boot/k',
        initrd: '/boot/i',
      }),
    );
    opts = {
      manifestPath: join(dir, 'manifest.json'),
      imageName: 'Debian desktop',
      poolName: 'Standard desktop',
      groupName: 'Employees',
      memoryMib: 1024,
      minSpare: 2,
      maxSize: 10,
    };
  });

  afterAll(async () => {
    await broker?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the image, makes an entitled pool with minSpare 2, and mints an agent token', async () => {
    const r = await setUpLocal(broker.app, { ...opts, enrollAgent: 'local' });
    expect(r.imageVersion).toBe(1);
    expect(r.enrollmentToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(r.changes).toEqual([
      'image "Debian desktop" created',
      'image version 1 imported',
      'image version 1 published',
      'group "Employees" created',
      'pool "Standard desktop" created for group "Employees"',
      'enrollment token minted for agent "local"',
    ]);
    const m = db.dataSource.manager;
    const group = await m.findOneOrFail(Group, {
      where: { name: 'Employees' },
      relations: { memberships: true },
    });
    expect(group.memberships).toHaveLength(1);
    expect(await m.countBy(Entitlement, { poolId: r.poolId, groupId: group.id })).toBe(1);
  });

  it('changes nothing the second time', async () => {
    const r = await setUpLocal(broker.app, opts);
    expect(r.changes).toEqual([]);
    expect(r.enrollmentToken).toBeUndefined();
  });
});
