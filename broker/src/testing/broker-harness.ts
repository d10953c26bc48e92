import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Agent,
  AgentState,
  GoldenImage,
  hashPassword,
  ImageVersion,
  ImageVersionState,
  Pool,
  Template,
  TemplateState,
  User,
  UserRole,
} from '@forkdesk/db';
import { type TestDatabase } from '@forkdesk/db/testing';
import { newDisplayKey } from '@forkdesk/agent-contract';
import { createHash } from 'crypto';
import type { AddressInfo } from 'net';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { AGENT_CLIENT, type AgentClient } from '../agents/agent-client';
import { AppModule } from '../app.module';
import { CLOCK, type Clock } from '../common/clock';
import { type BrokerConfig, loadBrokerConfig } from '../config';
import { BROKER_APP_OPTIONS, configureApp } from '../create-app';

export interface TestBroker {
  app: INestApplication;
  url: string;
  config: BrokerConfig;
  close(): Promise<void>;
}

/** A whole broker (real Nest HTTP stack, real PostgreSQL) on a free loopback port. */
export async function startBroker(
  db: TestDatabase,
  agent: AgentClient,
  opts: { clock?: Clock; env?: Record<string, string> } = {},
): Promise<TestBroker> {
  const config = loadBrokerConfig({
    DATABASE_URL: db.url,
    FORKDESK_SCHEDULER: 'false',
    // Holds run in the background on sign-in; specs about them turn them on (holds.int.spec).
    FORKDESK_HOLD_S: '0',
    FORKDESK_LOGIN_RATE_PER_MIN: '0',
    FORKDESK_PORTAL_DIR: '/nonexistent',
    FORKDESK_DB_POOL: '20',
    ...opts.env,
  });
  const log = pino({ level: process.env.BROKER_TEST_LOG ?? 'silent' });
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(config, log)] })
    .overrideProvider(AGENT_CLIENT)
    .useValue(agent);
  if (opts.clock) builder = builder.overrideProvider(CLOCK).useValue(opts.clock);
  const app = (await builder.compile()).createNestApplication({
    logger: false,
    ...BROKER_APP_OPTIONS,
  });
  await configureApp(app, config, log);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  return { app, url: `http://127.0.0.1:${port}`, config, close: () => app.close() };
}

let sharedHash: Promise<string> | undefined;
export const PASSWORD = 'correct horse battery';

/** Users with one shared hash (argon2 once, not once per user). */
export async function createUsers(
  ds: DataSource,
  names: string[],
  role: UserRole = UserRole.User,
): Promise<User[]> {
  const passwordHash = await (sharedHash ??= hashPassword(PASSWORD));
  return ds
    .getRepository(User)
    .save(names.map((username) => ({ username, displayName: username, role, passwordHash })));
}

export interface Fixture {
  image: GoldenImage;
  version: ImageVersion;
  pool: Pool;
  agent: Agent;
}

/** An image with a published version, a pool on it, and one live agent with its template. */
export async function seedPool(
  ds: DataSource,
  pool: Partial<Pool> = {},
  name = 'tiny',
): Promise<Fixture> {
  const image = await ds.getRepository(GoldenImage).save({ name });
  const version = await ds.getRepository(ImageVersion).save({
    imageId: image.id,
    version: 1,
    state: ImageVersionState.Published,
    publishedAt: new Date(),
    diskPath: '/nonexistent/disk.qcow2',
  });
  const p = await ds.getRepository(Pool).save({
    name: `${name}-pool`,
    imageId: image.id,
    vcpus: 1,
    memoryMib: 256,
    minSpare: 0,
    maxSize: 10,
    ...pool,
  });
  const agent = await seedAgent(ds, `${name}-agent`);
  await seedTemplate(ds, agent, version, p);
  return { image, version, pool: p, agent };
}

/**
 * A live agent as one enrolled before issue 15 looks after its migration: its heartbeats
 * present its apiToken, whose hash is its heartbeat token's.
 */
export async function seedAgent(ds: DataSource, name: string): Promise<Agent> {
  const apiToken = `token-${name}-0123456789abcdef`;
  return ds.getRepository(Agent).save({
    name,
    state: AgentState.Active,
    apiUrl: `http://127.0.0.1:1/${name}`,
    apiToken,
    heartbeatTokenHash: createHash('sha256').update(apiToken).digest('hex'),
    displayKey: newDisplayKey(),
    gatewayHost: '127.0.0.1',
    gatewayPort: 4823,
    accel: 'tcg',
    totalMib: 24_000,
    availableMib: 20_000,
    reserveMib: 1000,
    lastHeartbeatAt: new Date(),
  });
}

export async function seedTemplate(
  ds: DataSource,
  agent: Agent,
  v: ImageVersion,
  p: Pool,
): Promise<Template> {
  return ds.getRepository(Template).save({
    agentId: agent.id,
    agentTemplateId: `tpl-${v.id.slice(0, 8)}-${p.vcpus}-${p.memoryMib}`,
    imageVersionId: v.id,
    vcpus: p.vcpus,
    memoryMib: p.memoryMib,
    accel: 'tcg',
    state: TemplateState.Ready,
  });
}
