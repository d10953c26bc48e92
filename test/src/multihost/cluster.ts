/**
 * A Forkdesk of several hosts on this machine (issue 9, test/multihost): agents each in its
 * own network namespace (netns.ts), brokers in the root namespace on the bridge address, one
 * database. Real dist entry points; agents enroll over the network and serve mutual TLS.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import { PortalApi } from '../faults/portal-api';
import {
  AGENT_DIST,
  BROKER_DIST,
  healthy,
  PORTAL_DIST,
  ROOT,
  runNode,
  seedUsers,
  setupPool,
  Service,
  SERVICE_BASE,
  waitUntil,
  type Credentials,
} from '../support/stack';
import { removeStaleHosts, TestNetwork, type TestHost } from './netns';

export const AGENT_API_PORT = 7450;
export const GATEWAY_PORT = 4822;

export interface ClusterOptions {
  /** Memory reserve of each agent (FORKDESK_RESERVE_MIB): one agent per entry. */
  reservesMiB: number[];
  brokers: number;
  memoryMib: number;
  /** Broker settings shared by all (timeouts of silent agents, ...). */
  brokerEnv: Record<string, string>;
}

export interface ClusterAgent {
  name: string;
  /** Its agents row, from the credentials it stored at enrollment. */
  id: string;
  host: TestHost;
  dataDir: string;
  shmDir: string;
  env: NodeJS.ProcessEnv;
  service: Service;
  /** Which broker it enrolled with and heartbeats to. */
  brokerUrl: string;
}

export interface ClusterBroker {
  url: string;
  service: Service;
}

export class Cluster {
  readonly agents: ClusterAgent[] = [];
  readonly brokers: ClusterBroker[] = [];
  poolId = '';
  admin!: Credentials;
  employee!: Credentials;
  private stopped = false;

  private constructor(
    readonly net: TestNetwork,
    readonly db: TestDatabase,
    readonly logDir: string,
  ) {}

  static async start(o: ClusterOptions): Promise<Cluster> {
    for (const f of [path.join(BROKER_DIST, 'main.js'), path.join(AGENT_DIST, 'main.js')]) {
      if (!fs.existsSync(f)) throw new Error(`build the parts first (npm run build): ${f}`);
    }
    removeStaleHosts();
    const net = TestNetwork.create(o.reservesMiB.length);
    let db: TestDatabase | undefined;
    let c: Cluster | undefined;
    try {
      db = await createTestDatabase(`multihost_${net.runId}`);
      const logDir = path.join(ROOT, '.forkdesk', 'logs', `multihost-${net.runId}`);
      fs.mkdirSync(logDir, { recursive: true });
      c = new Cluster(net, db, logDir);
      await c.boot(o);
      return c;
    } catch (err) {
      if (c) await c.stop().catch(() => undefined);
      else {
        net.destroy();
        await db?.drop().catch(() => undefined);
      }
      throw err;
    }
  }

  private async boot(o: ClusterOptions): Promise<void> {
    Object.assign(this, await seedUsers(this.db));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: this.db.url,
      FORKDESK_LOG_LEVEL: process.env.FORKDESK_LOG_LEVEL ?? 'info',
    };
    // No spares yet: the burst starts once every agent has its template (the test sets minSpare).
    const firstToken = path.join(this.logDir, 'enrollment-0.token');
    await setupPool(env, {
      memoryMib: o.memoryMib,
      minSpare: 0,
      maxSize: 10,
      agent: 'mh-0',
      tokenFile: firstToken,
    });
    const [pool] = (await this.db.dataSource.query(`SELECT id FROM pools`)) as { id: string }[];
    this.poolId = pool.id;

    const tunnelKey = randomBytes(32).toString('base64');
    for (let i = 0; i < o.brokers; i++) {
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const url = `http://${this.net.rootAddress}:${port}`;
      const service = new Service(
        `broker-${i}`,
        path.join(BROKER_DIST, 'main.js'),
        {
          ...env,
          ...o.brokerEnv,
          FORKDESK_BROKER_HOST: this.net.rootAddress,
          FORKDESK_BROKER_PORT: String(port),
          FORKDESK_PORTAL_DIR: PORTAL_DIST,
          FORKDESK_TUNNEL_KEY: tunnelKey,
          FORKDESK_LOGIN_RATE_PER_MIN: '0',
        },
        path.join(this.logDir, `broker-${i}.log`),
      );
      this.brokers.push({ url, service });
    }
    for (const b of this.brokers) {
      await waitUntil(
        `${b.service.name} answers /health`,
        async () => {
          if (b.service.exited) throw new Error(`${b.service.name} exited\n${b.service.tail()}`);
          return healthy(b.url);
        },
        30_000,
        () => b.service.tail(),
      );
    }

    const admin = await PortalApi.login(this.brokers[0].url, this.admin);
    for (let i = 0; i < o.reservesMiB.length; i++) {
      const host = this.net.hosts[i];
      const name = `mh-${i}`;
      let token: string;
      if (i === 0) token = fs.readFileSync(firstToken, 'utf8').trim();
      else {
        const r = await admin.call<{ token: string }>(
          'POST',
          '/api/admin/agents/enrollment-tokens',
          { name },
        );
        if (r.status !== 201 && r.status !== 200)
          throw new Error(`enrollment token: ${r.status} ${JSON.stringify(r.body)}`);
        token = r.body.token;
      }
      fs.mkdirSync(SERVICE_BASE, { recursive: true });
      const dataDir = fs.mkdtempSync(path.join(SERVICE_BASE, `mh-${this.net.runId}-${i}-`));
      fs.chmodSync(dataDir, 0o755);
      const shmDir = path.join('/dev/shm', `forkdesk-${path.basename(dataDir)}`);
      // Agents talk to different brokers: each broker serves some of them.
      const brokerUrl = this.brokers[i % this.brokers.length].url;
      const agentEnv: NodeJS.ProcessEnv = {
        ...env,
        FORKDESK_DATA_DIR: dataDir,
        FORKDESK_SHM_DIR: shmDir,
        FORKDESK_BROKER_URL: brokerUrl,
        FORKDESK_ENROLLMENT_TOKEN: token,
        FORKDESK_API_HOST: host.address,
        FORKDESK_API_PORT: String(AGENT_API_PORT),
        FORKDESK_GATEWAY_HOST: host.address,
        FORKDESK_GATEWAY_PORT: String(GATEWAY_PORT),
        FORKDESK_HEARTBEAT_MS: '1000',
        FORKDESK_RESERVE_MIB: String(o.reservesMiB[i]),
        FORKDESK_ACCEL: process.env.FORKDESK_ACCEL ?? 'tcg',
      };
      const service = new Service(
        name,
        path.join(AGENT_DIST, 'main.js'),
        agentEnv,
        path.join(this.logDir, `${name}.log`),
        host.enter,
      );
      this.agents.push({ name, id: '', host, dataDir, shmDir, env: agentEnv, service, brokerUrl });
    }
    await waitUntil(
      'every agent enrolled, heartbeats and has a ready template',
      async () => {
        for (const a of this.agents)
          if (a.service.exited) throw new Error(`${a.name} exited\n${a.service.tail()}`);
        const [r] = (await this.db.dataSource.query(
          `SELECT count(DISTINCT a.id)::int AS n FROM agents a JOIN templates t ON t.agent_id = a.id
            WHERE a.state = 'active' AND t.state = 'ready'`,
        )) as { n: number }[];
        return r.n === this.agents.length;
      },
      120_000,
      () => this.tails(),
      250,
    );
    for (const a of this.agents) {
      const creds = path.join(a.dataDir, 'agent-credentials.json');
      a.id = (JSON.parse(fs.readFileSync(creds, 'utf8')) as { agentId: string }).agentId;
    }
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.db.dataSource.query(sql, params)) as T[];
  }

  tails(): string {
    return [...this.agents.map((a) => a.service), ...this.brokers.map((b) => b.service)]
      .map((s) => s.tail(1500))
      .join('\n');
  }

  /** Agents first (graceful), then purge of every VM, brokers, namespaces, the database. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const errors: unknown[] = [];
    const attempt = async (f: () => Promise<unknown> | void): Promise<void> => {
      try {
        await f();
      } catch (err) {
        errors.push(err);
      }
    };
    await Promise.all(this.agents.map((a) => attempt(() => a.service.stop())));
    await Promise.all(this.brokers.map((b) => attempt(() => b.service.stop())));
    for (const a of this.agents) {
      await attempt(() => runNode(path.join(AGENT_DIST, 'purge.js'), [], a.env, 60_000));
      fs.rmSync(a.dataDir, { recursive: true, force: true });
      fs.rmSync(a.shmDir, { recursive: true, force: true });
    }
    await attempt(() => this.net.destroy());
    await attempt(() => this.db.drop());
    if (errors.length) throw errors[0];
  }
}
