import { UserRole } from '@forkdesk/db';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import {
  createUsers,
  PASSWORD,
  seedPool,
  startBroker,
  type Fixture,
  type TestBroker,
} from './broker-harness';
import { FakeAgentClient } from './fake-agent-client';
import { HttpSession } from './http-session';

/**
 * One broker on its own database with a fake agent, a pool (minSpare 1, maxSize 3), the admin
 * root and the users alice, bob, carol and dave (alice, bob and root signed in): what the
 * modules' HTTP specs start from.
 */
export interface HttpFixture {
  db: TestDatabase;
  broker: TestBroker;
  fake: FakeAgentClient;
  fx: Fixture;
  admin: HttpSession;
  alice: HttpSession;
  bob: HttpSession;
  /** The desktop's state as the database has it now. */
  desktopState(id: string): Promise<string>;
}

async function startHttpFixture(label: string): Promise<HttpFixture> {
  const db = await createTestDatabase(label);
  const fake = new FakeAgentClient();
  const broker = await startBroker(db, fake);
  await createUsers(db.dataSource, ['root'], UserRole.Admin);
  await createUsers(db.dataSource, ['alice', 'bob', 'carol', 'dave']);
  const fx = await seedPool(db.dataSource, { minSpare: 1, maxSize: 3 });
  return {
    db,
    broker,
    fake,
    fx,
    admin: await HttpSession.login(broker.url, 'root', PASSWORD),
    alice: await HttpSession.login(broker.url, 'alice', PASSWORD),
    bob: await HttpSession.login(broker.url, 'bob', PASSWORD),
    desktopState: async (id) =>
      (
        (await db.dataSource.query(`SELECT state FROM desktops WHERE id = $1`, [id])) as {
          state: string;
        }[]
      )[0].state,
  };
}

async function stopHttpFixture(f: Partial<HttpFixture>): Promise<void> {
  await f.broker?.close();
  await f.db?.drop();
}

/**
 * The fixture of a spec file: started before its tests, stopped after them. The object is
 * filled in by the spec's beforeAll, so tests read it, never the spec's top level.
 */
export function httpFixture(label: string): HttpFixture {
  const f: Partial<HttpFixture> = {};
  jest.setTimeout(60_000); // a broker and its database start per spec file
  beforeAll(async () => {
    Object.assign(f, await startHttpFixture(label));
  });
  afterAll(() => stopHttpFixture(f));
  return f as HttpFixture;
}
