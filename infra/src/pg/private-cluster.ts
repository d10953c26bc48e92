import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { freePort } from '../util/ports';
import { runAs } from '../util/run';
import { ensureServiceUser, SERVICE_USER, serviceIds } from '../util/service-user';
import { serviceBaseDir, stateDir } from '../util/paths';
import { quoteIdent } from './ident';
import { APP_ROLE, ensureRoles, handOver, newRolePasswords, TEST_ROLE } from './roles';

/** What clients need to reach the private cluster; kept in .forkdesk/pg.json (mode 0600). */
export interface ClusterState {
  port: number;
  user: string;
  /** The superuser's: the CLI's administration only. */
  password: string;
  database: string;
  /** The app role's (broker, migrations) and the test role's; made at the first start. */
  appPassword?: string;
  testPassword?: string;
}

export type ClientRole = 'app' | 'test';

export const DEFAULT_PG_PORT = 54329;

type Say = (line: string) => void;

/**
 * A PostgreSQL cluster private to this checkout: data under /var/lib/forkdesk/<key>/pg (linked
 * from .forkdesk/pg), run by the unprivileged service user, listening on 127.0.0.1 only,
 * password authentication (scram-sha-256) for every connection.
 */
export class PrivateCluster {
  readonly base = serviceBaseDir();
  readonly dataDir = path.join(this.base, 'pg');
  readonly socketDir = path.join(this.base, 'run');
  readonly logFile = path.join(this.base, 'postgresql.log');
  readonly stateFile = path.join(stateDir(), 'pg.json');
  readonly link = path.join(stateDir(), 'pg');

  constructor(private readonly say: Say) {}

  /** initdb once; later calls only check. */
  ensureInitialized(): ClusterState {
    ensureServiceUser();
    const existing = this.readState();
    if (existing && fs.existsSync(path.join(this.dataDir, 'PG_VERSION'))) return existing;
    if (fs.existsSync(this.dataDir)) {
      // A cluster without its password (e.g. from a deleted clone at this path): keep it aside.
      this.stopQuietly();
      const aside = `${this.dataDir}.orphan-${Date.now()}`;
      fs.renameSync(this.dataDir, aside);
      this.say(
        `found a private PostgreSQL cluster without its password file; moved it to ${aside}`,
      );
    }
    this.say('initializing the private PostgreSQL cluster (initdb, scram-sha-256)…');
    const { uid, gid } = serviceIds();
    // The parent must be traversable by the service user; the instance dir itself stays private.
    fs.mkdirSync(path.dirname(this.base), { recursive: true, mode: 0o755 });
    fs.chmodSync(path.dirname(this.base), 0o755);
    for (const dir of [this.base, this.socketDir]) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.chownSync(dir, uid, gid);
    }
    const state: ClusterState = {
      port: DEFAULT_PG_PORT,
      user: SERVICE_USER,
      password: randomBytes(24).toString('base64url'),
      database: 'forkdesk',
    };
    const pwfile = path.join(this.base, 'initdb.pw');
    fs.writeFileSync(pwfile, `${state.password}\n`, { mode: 0o600 });
    fs.chownSync(pwfile, uid, gid);
    try {
      runAs(SERVICE_USER, this.bin('initdb'), [
        '-D',
        this.dataDir,
        '-U',
        state.user,
        '--auth=scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ]);
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
    this.writeState(state);
    return state;
  }

  /** Starts the server when it is not running; picks a free port when the usual one is taken. */
  async start(): Promise<ClusterState> {
    const state = this.ensureInitialized();
    const running = this.runningPort();
    if (running !== undefined) {
      if (running !== state.port) this.writeState({ ...state, port: running });
      this.say(`private PostgreSQL already running on 127.0.0.1:${running}`);
      return this.prepare({ ...state, port: running });
    }
    const port = await freePort(state.port);
    if (port !== state.port) this.say(`port ${state.port} is in use; PostgreSQL takes ${port}`);
    this.say(`starting private PostgreSQL on 127.0.0.1:${port}…`);
    const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.socketDir}`;
    runAs(SERVICE_USER, this.bin('pg_ctl'), [
      '-D',
      this.dataDir,
      '-l',
      this.logFile,
      '-w',
      '-t',
      '60',
      '-o',
      opts,
      'start',
    ]);
    return this.prepare({ ...state, port });
  }

  /** The client roles and the app's database, on a running server. */
  private async prepare(running: ClusterState): Promise<ClusterState> {
    const { appPassword, testPassword } = running;
    const passwords =
      appPassword && testPassword ? { appPassword, testPassword } : newRolePasswords();
    const state = { ...running, ...passwords };
    this.writeState(state);
    await this.admin(state, (c) => ensureRoles(c, passwords));
    await this.ensureDatabase(state.database, state, 'app');
    return state;
  }

  stop(): void {
    if (this.runningPort() === undefined) {
      this.say('private PostgreSQL is not running');
      return;
    }
    runAs(SERVICE_USER, this.bin('pg_ctl'), ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
    this.say('private PostgreSQL stopped');
  }

  /** A client's URL: the broker's (`app`) or a test run's (`test`), never the superuser's. */
  url(state: ClusterState, database = state.database, role: ClientRole = 'app'): string {
    const [user, password] =
      role === 'app' ? [APP_ROLE, state.appPassword] : [TEST_ROLE, state.testPassword];
    if (!password)
      throw new Error('the private cluster has not been started since its roles were added');
    return this.urlAs(user, password, state, database);
  }

  private urlAs(user: string, password: string, state: ClusterState, database: string): string {
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${state.port}/${database}`;
  }

  /** Creates database `name` owned by the role that will use it (and hands an old one over). */
  async ensureDatabase(name: string, state: ClusterState, owner: ClientRole): Promise<void> {
    const role = owner === 'app' ? APP_ROLE : TEST_ROLE;
    await this.admin(state, async (c) => {
      const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (r.rowCount === 0) await c.query(`CREATE DATABASE ${quoteIdent(name)} OWNER ${role}`);
    });
    await this.admin(state, (c) => handOver(c, name, role), name);
  }

  async databases(state: ClusterState): Promise<string[]> {
    return this.admin(state, async (c) => {
      const r = await c.query<{ datname: string }>('SELECT datname FROM pg_database');
      return r.rows.map((row) => row.datname);
    });
  }

  async dropDatabase(name: string, state: ClusterState): Promise<void> {
    await this.admin(state, (c) =>
      c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
    );
  }

  /** The port of the running server, from postmaster.pid, or undefined when it is down. */
  runningPort(): number | undefined {
    if (!fs.existsSync(path.join(this.dataDir, 'PG_VERSION'))) return undefined;
    try {
      runAs(SERVICE_USER, this.bin('pg_ctl'), ['-D', this.dataDir, 'status']);
    } catch {
      return undefined;
    }
    // postmaster.pid: pid, data dir, start time, port, ...
    const lines = fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return Number(lines[3]);
  }

  readState(): ClusterState | undefined {
    if (!fs.existsSync(this.stateFile)) return undefined;
    return JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as ClusterState;
  }

  private writeState(state: ClusterState): void {
    fs.mkdirSync(stateDir(), { recursive: true });
    fs.writeFileSync(this.stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
    if (!fs.existsSync(this.link)) fs.symlinkSync(this.dataDir, this.link);
  }

  private stopQuietly(): void {
    try {
      runAs(SERVICE_USER, this.bin('pg_ctl'), ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
    } catch {
      // not running
    }
  }

  private async admin<T>(
    state: ClusterState,
    fn: (c: Client) => Promise<T>,
    database = 'postgres',
  ): Promise<T> {
    const client = new Client({
      connectionString: this.urlAs(state.user, state.password, state, database),
    });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  private bin(name: string): string {
    const root = '/usr/lib/postgresql';
    const versions = fs.existsSync(root)
      ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', name)))
      : [];
    if (versions.length === 0) {
      throw new Error(
        `PostgreSQL server binaries not found (${name}); install them with: apt-get install postgresql`,
      );
    }
    const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
    return path.join(root, newest, 'bin', name);
  }
}
