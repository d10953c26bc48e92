// The pool's network mode reaches the agent with each fork (NAT pools opt in; default none).
import { NetworkMode } from '@forkdesk/db';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import { PoolReconciler } from '../scheduler/pool-reconciler.service';
import { seedPool, startBroker, type TestBroker } from '../testing/broker-harness';
import { FakeAgentClient } from '../testing/fake-agent-client';

jest.setTimeout(60_000);

let db: TestDatabase;
let broker: TestBroker;
const fake = new FakeAgentClient();

beforeAll(async () => {
  db = await createTestDatabase('broker_netmode');
  broker = await startBroker(db, fake);
});

afterAll(async () => {
  await broker?.close();
  await db?.drop();
});

it('forks desktops of a NAT pool with network nat and others with the default', async () => {
  const nat = await seedPool(db.dataSource, { minSpare: 1, networkMode: NetworkMode.Nat }, 'natp');
  const plain = await seedPool(db.dataSource, { minSpare: 1 }, 'plainp');
  const reconciler = broker.app.get(PoolReconciler);
  await reconciler.reconcilePool(nat.pool.id);
  await reconciler.reconcilePool(plain.pool.id);
  const deadline = Date.now() + 10_000;
  while (fake.children.size < 2 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const byTemplate = new Map([...fake.children.values()].map((c) => [c.templateId, c.network]));
  expect([...byTemplate.entries()].sort()).toEqual(
    [
      [`tpl-${nat.version.id.slice(0, 8)}-1-256`, 'nat'],
      [`tpl-${plain.version.id.slice(0, 8)}-1-256`, 'restricted'],
    ].sort(),
  );
});
