/**
 * A whole Forkdesk for one test file or bench: a fresh database, the tiny image set up as a pool
 * (`broker/dist/cli.js setup-local`), the broker and an enrolled agent as child processes of
 * their real dist entry points on free loopback ports. `stop()` ends the processes, destroys
 * every VM (hypervisor-agent/dist/purge.js) and removes what the stack made.
 *
 * Needs: DATABASE_URL (set by `npm test`), the parts built (broker, agent, portal, infra), root
 * (QEMU drops to the forkdesk user, cgroups).
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { hashPassword, User, UserRole } from '@forkdesk/db';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import { buildGoldenImage, buildTinyImage, freePort, MANIFEST_FILE } from '@forkdesk/infra';
import type { ExecResult, TlsMaterial } from '@forkdesk/agent-contract';
import {
  agentRequest,
  clientTls,
  loadOrCreateCa,
  type AgentHttpAnswer,
} from '@forkdesk/broker/testing';
import { killVmsUnder, readTlsIdentity } from '@forkdesk/hypervisor-agent';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const BROKER_DIST = path.join(ROOT, 'broker', 'dist');
export const AGENT_DIST = path.join(ROOT, 'hypervisor-agent', 'dist');
export const PORTAL_DIST = path.join(ROOT, 'web-portal', 'dist');
/** Reachable by the forkdesk user QEMU runs as (a checkout under /root is not). */
export const SERVICE_BASE = '/var/lib/forkdesk';

export interface Credentials {
  username: string;
  password: string;
}

export interface StackOptions {
  /** Names the database, dirs and logs. */
  label: string;
  /** The pool's image: 'tiny' unless said. */
  image?: StackImage;
  minSpare?: number;
  maxSize?: number;
  /** Guest RAM of the pool's desktops: 256 MiB (tiny) or 1024 MiB (golden) unless said. */
  memoryMib?: number;
  schedulerTickMs?: number;
  /** Extra environment for the broker and the agent. */
  env?: Record<string, string>;
  /** The database URL the broker is given, from the test database's (e.g. through a proxy). */
  brokerDatabaseUrl?: (url: string) => string;
}

/** A service of the stack that a fault test may kill and start again. */
export interface StackProcess {
  readonly pid: number;
  /** SIGKILL (no shutdown code runs); resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again with its environment plus `env`; resolves once it serves again. */
  restart(env?: Record<string, string>): Promise<void>;
  /** The end of its log, for failure messages. */
  tail(): string;
}

export interface Stack {
  baseUrl: string;
  db: TestDatabase;
  poolId: string;
  admin: Credentials;
  employee: Credentials;
  dataDir: string;
  shmDir: string;
  logDir: string;
  broker: StackProcess;
  agent: StackProcess;
  /**
   * The agent's HTTP API, the bearer token the broker uses on it and, when the agent serves
   * mutual TLS (the default), a client certificate from the broker's CA.
   */
  agentApi: { url: string; token: string; tls?: TlsMaterial };
  /** One call to the agent's API as the broker makes it (token, client certificate). */
  agentCall(method: string, apiPath: string, body?: unknown): Promise<AgentHttpAnswer>;
  /** A VM's directory on the agent (qmp.sock, vnc.sock, ...). */
  vmDir(vmId: string): string;
  /** Runs a program in a VM through the agent's API (guest agent); throws on HTTP errors. */
  guestExec(vmId: string, command: string[], timeoutMs?: number): Promise<ExecResult>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Resolves once the pool has `n` free ready spares (none held for a user, nothing forking). */
  waitForSpares(n: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The images a stack can serve: the tiny test image, or the golden Debian desktop. */
export type StackImage = 'tiny' | 'golden';

/**
 * An image as a pool through the broker's own `setup-local` (the golden one is built, or taken
 * from the cache, first), and an enrollment token for one agent written to `tokenFile`.
 */
export async function setupPool(
  env: NodeJS.ProcessEnv,
  o: {
    image?: StackImage;
    memoryMib: number;
    minSpare: number;
    maxSize: number;
    agent: string;
    tokenFile: string;
  },
): Promise<void> {
  const golden = o.image === 'golden';
  const image = golden ? await buildGoldenImage() : buildTinyImage();
  await runNode(
    path.join(BROKER_DIST, 'cli.js'),
    [
      'setup-local',
      '--manifest',
      path.join(path.dirname(image.disk), MANIFEST_FILE),
      '--image',
      golden ? 'Debian desktop' : 'Tiny test image',
      '--memory-mib',
      String(o.memoryMib),
      '--min-spare',
      String(o.minSpare),
      '--max',
      String(o.maxSize),
      '--enroll-agent',
      o.agent,
      '--token-file',
      o.tokenFile,
    ],
    env,
    60_000,
  );
}

/** Polls `ok` until it returns true; the error names what was awaited and the logs' tails. */
export async function waitUntil(
  what: string,
  ok: () => Promise<boolean>,
  timeoutMs: number,
  context: () => string = () => '',
  everyMs = 100,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await ok()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${what}\n${context()}`);
    await sleep(everyMs);
  }
}

export function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: ROOT, env, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`${path.basename(script)} ${args[0] ?? ''}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * A service process whose output goes to a log file; `exited` tells a crash at start. It can
 * be killed and started again (same script and environment); its log is appended to.
 */
export class Service {
  private current!: ChildProcess;
  private log!: fs.WriteStream;

  /** `wrapper`: a command that execs node in place (e.g. nsenter into a network namespace). */
  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly logFile: string,
    private readonly wrapper: string[] = [],
  ) {
    fs.writeFileSync(logFile, '');
    this.spawn(env);
  }

  private spawn(env: NodeJS.ProcessEnv): void {
    this.log = fs.createWriteStream(this.logFile, { flags: 'a' });
    const [cmd, ...args] = [...this.wrapper, process.execPath, this.script];
    this.current = spawn(cmd, args, {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.current.stdout?.pipe(this.log, { end: false });
    this.current.stderr?.pipe(this.log, { end: false });
  }

  get pid(): number {
    return this.current.pid ?? -1;
  }

  get exited(): boolean {
    return this.current.exitCode !== null || this.current.signalCode !== null;
  }

  tail(bytes = 3000): string {
    try {
      const text = fs.readFileSync(this.logFile, 'utf8');
      return `--- ${this.name} log (${this.logFile}) ---\n${text.slice(-bytes)}`;
    } catch {
      return '';
    }
  }

  /** Starts the process again (after it ended) with its environment plus `env`. */
  restart(env: Record<string, string> = {}): void {
    if (!this.exited) throw new Error(`${this.name} still runs (pid ${this.pid})`);
    this.spawn({ ...this.env, ...env });
  }

  /** `signal` (SIGTERM: SIGKILL after `graceMs`); resolves once it is gone and its log closed. */
  async stop(graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.current;
    if (!this.exited) {
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    }
    proc.stdout?.destroy();
    proc.stderr?.destroy();
    if (!this.log.writableEnded) await new Promise<void>((r) => this.log.end(() => r()));
  }
}

export async function healthy(url: string): Promise<boolean> {
  try {
    // No keep-alive: an idle pooled socket would keep jest from exiting.
    const res = await fetch(`${url}/health`, { headers: { connection: 'close' } });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export async function seedUsers(
  db: TestDatabase,
): Promise<{ admin: Credentials; employee: Credentials }> {
  const admin = { username: 'stack-admin', password: 'admin-pass-1234' };
  const employee = { username: 'emma', password: 'emma-pass-1234' };
  const users = db.dataSource.getRepository(User);
  for (const [c, role, displayName] of [
    [admin, UserRole.Admin, 'Stack Admin'],
    [employee, UserRole.User, 'Emma Employee'],
  ] as const) {
    await users.save(
      users.create({
        username: c.username,
        displayName,
        role,
        passwordHash: await hashPassword(c.password),
      }),
    );
  }
  return { admin, employee };
}

export async function startStack(o: StackOptions): Promise<Stack> {
  for (const f of [
    path.join(BROKER_DIST, 'main.js'),
    path.join(BROKER_DIST, 'cli.js'),
    path.join(AGENT_DIST, 'main.js'),
    path.join(AGENT_DIST, 'purge.js'),
    path.join(PORTAL_DIST, 'index.html'),
  ]) {
    if (!fs.existsSync(f))
      throw new Error(`build the parts first (npm run build): ${f} is missing`);
  }
  const label = o.label.replace(/[^a-z0-9-]/gi, '-');
  const logDir = path.join(ROOT, '.forkdesk', 'logs', `stack-${label}`);
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(SERVICE_BASE, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(SERVICE_BASE, `e2e-${label}-`));
  fs.chmodSync(dataDir, 0o755);
  const shmDir = path.join('/dev/shm', `forkdesk-${path.basename(dataDir)}`);
  // Data and shm dirs per suite; templates come from the machine-wide cache (the agent's
  // default FORKDESK_TEMPLATE_CACHE_DIR), so each template boots once per machine.
  const agentEnv: NodeJS.ProcessEnv = {
    ...process.env,
    FORKDESK_DATA_DIR: dataDir,
    FORKDESK_SHM_DIR: shmDir,
  };

  let db: TestDatabase | undefined;
  let broker: Service | undefined;
  let agent: Service | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // The agent first: purge needs its data dir to itself. The broker may still be calling it.
    await agent?.stop();
    await broker?.stop();
    try {
      await runNode(path.join(AGENT_DIST, 'purge.js'), [], agentEnv, 60_000);
    } finally {
      // Whatever the purge could not reach (it failed, or a VM lost its record).
      for (const dir of [dataDir, shmDir]) await killVmsUnder(dir);
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(shmDir, { recursive: true, force: true });
      await db?.drop().catch(() => undefined);
    }
  };

  try {
    db = await createTestDatabase(label.replace(/-/g, '_'));
    const { admin, employee } = await seedUsers(db);
    const tokenFile = path.join(dataDir, 'enrollment.token');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...o.env,
      DATABASE_URL: db.url,
      FORKDESK_LOG_LEVEL: process.env.FORKDESK_LOG_LEVEL ?? 'info',
    };
    await setupPool(env, {
      image: o.image ?? 'tiny',
      memoryMib: o.memoryMib ?? (o.image === 'golden' ? 1024 : 256),
      minSpare: o.minSpare ?? 2,
      maxSize: o.maxSize ?? 10,
      agent: 'local',
      tokenFile,
    });
    const [pool] = (await db.dataSource.query(`SELECT id FROM pools`)) as { id: string }[];

    // Distinct preferred ports, so two lookups never hand out the same free port.
    const brokerPort = await freePort(20_000 + Math.floor(Math.random() * 20_000));
    const apiPort = await freePort(brokerPort + 1);
    const gatewayPort = await freePort(apiPort + 1);
    const baseUrl = `http://127.0.0.1:${brokerPort}`;
    broker = new Service(
      'broker',
      path.join(BROKER_DIST, 'main.js'),
      {
        ...env,
        DATABASE_URL: o.brokerDatabaseUrl ? o.brokerDatabaseUrl(db.url) : db.url,
        FORKDESK_BROKER_HOST: '127.0.0.1',
        FORKDESK_BROKER_PORT: String(brokerPort),
        FORKDESK_PORTAL_DIR: PORTAL_DIST,
        FORKDESK_TUNNEL_KEY: randomBytes(32).toString('base64'),
        FORKDESK_SCHEDULER_TICK_MS: String(o.schedulerTickMs ?? 500),
        FORKDESK_LOGIN_RATE_PER_MIN: '0',
      },
      path.join(logDir, 'broker.log'),
    );
    const b = broker;
    const brokerServes = (): Promise<void> =>
      waitUntil(
        'the broker answers /health',
        async () => {
          if (b.exited) throw new Error(`the broker exited at start\n${b.tail()}`);
          return healthy(baseUrl);
        },
        30_000,
        () => b.tail(),
      );
    await brokerServes();

    agent = new Service(
      'agent',
      path.join(AGENT_DIST, 'main.js'),
      {
        ...env,
        ...agentEnv,
        FORKDESK_BROKER_URL: baseUrl,
        FORKDESK_ENROLLMENT_TOKEN: fs.readFileSync(tokenFile, 'utf8').trim(),
        FORKDESK_API_PORT: String(apiPort),
        FORKDESK_GATEWAY_PORT: String(gatewayPort),
        FORKDESK_HEARTBEAT_MS: '1000',
        // Tests run on TCG (DESIGN.md §2); the auto probe would first wait out a KVM boot.
        FORKDESK_ACCEL: process.env.FORKDESK_ACCEL ?? 'tcg',
      },
      path.join(logDir, 'agent.log'),
    );
    const a = agent;
    const d = db;
    const logs = (): string => `${a.tail()}\n${b.tail()}`;
    const heartbeatSince = async (t: Date): Promise<boolean> => {
      if (a.exited) throw new Error(`the agent exited at start\n${a.tail()}`);
      const rows = (await d.dataSource.query(
        `SELECT 1 FROM agents WHERE state = 'active' AND last_heartbeat_at > $1`,
        [t],
      )) as unknown[];
      return rows.length > 0;
    };
    await waitUntil(
      'the agent enrolls and its template for the pool is built',
      async () => {
        if (!(await heartbeatSince(new Date(0)))) return false;
        const rows = (await d.dataSource.query(
          `SELECT 1 FROM templates t JOIN agents a ON a.id = t.agent_id
            WHERE a.state = 'active' AND t.state = 'ready'`,
        )) as unknown[];
        return rows.length > 0;
      },
      90_000,
      logs,
      250,
    );

    const apiToken = (
      JSON.parse(fs.readFileSync(path.join(dataDir, 'agent-credentials.json'), 'utf8')) as {
        apiToken: string;
      }
    ).apiToken;
    // Mutual TLS (the agent's default): the test calls the agent as a broker would.
    const agentTls = (await readTlsIdentity(dataDir))
      ? await clientTls(await loadOrCreateCa(d.dataSource), 'stack-test')
      : undefined;
    const agentUrl = `${agentTls ? 'https' : 'http'}://127.0.0.1:${apiPort}`;
    const agentCall = (method: string, apiPath: string, body?: unknown, timeoutMs = 30_000) =>
      agentRequest(`${agentUrl}${apiPath}`, {
        method,
        headers: {
          authorization: `Bearer ${apiToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs,
        tls: agentTls,
      });
    const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
      (await d.dataSource.query(sql, params)) as T[];
    const handle = (svc: Service, serves: () => Promise<void>): StackProcess => ({
      get pid() {
        return svc.pid;
      },
      kill: () => svc.stop(0, 'SIGKILL'),
      restart: async (extra) => {
        svc.restart(extra);
        await serves();
      },
      tail: () => svc.tail(),
    });
    return {
      baseUrl,
      db: d,
      poolId: pool.id,
      admin,
      employee,
      dataDir,
      shmDir,
      logDir,
      broker: handle(b, brokerServes),
      // Serving again: it re-adopted its VMs and the broker has heard from it since the start.
      agent: handle(a, () => {
        const since = new Date();
        return waitUntil(
          'the restarted agent heartbeats',
          () => heartbeatSince(since),
          30_000,
          logs,
        );
      }),
      agentApi: { url: agentUrl, token: apiToken, tls: agentTls },
      agentCall: (method, apiPath, body) => agentCall(method, apiPath, body),
      vmDir: (vmId) => path.join(dataDir, 'vms', vmId),
      guestExec: async (vmId, command, timeoutMs = 10_000) => {
        const res = await agentCall(
          'POST',
          `/v1/children/${vmId}/exec`,
          { command, timeoutMs },
          timeoutMs + 5000,
        );
        if (res.status !== 200)
          throw new Error(`guest exec ${command[0]}: HTTP ${res.status} ${res.text}`);
        return JSON.parse(res.text) as ExecResult;
      },
      query,
      waitForSpares: (n, timeoutMs) =>
        waitUntil(
          `${n} ready spare desktops`,
          async () => {
            // Free spares: a spare held for a signed-in user is not one.
            const [c] = await query<{ ready: number; forking: number }>(
              `SELECT count(*) FILTER (WHERE state = 'ready' AND reserved_user_id IS NULL)::int AS ready,
                      count(*) FILTER (WHERE state = 'forking')::int AS forking
                 FROM desktops WHERE pool_id = $1`,
              [pool.id],
            );
            return c.ready === n && c.forking === 0;
          },
          timeoutMs,
          logs,
        ),
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
