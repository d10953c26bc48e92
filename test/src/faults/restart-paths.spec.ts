/**
 * Acceptance (issues 18, 24): the README's own sequence on the real stack, through the real
 * `npm run up` / `npm run down` scripts (tiny image, free ports, a state and service dir of
 * its own beside the suite's): `up`, an employee opens a desktop, Ctrl-C, `down -- --purge`,
 * `up` — and an employee opens a drawn desktop again; the same after a plain `down` (which
 * stops every QEMU of the checkout); after PostgreSQL hangs for 20 s (every process of its
 * cluster stopped: calls hang as on a dead network); after a template's files are deleted
 * behind the agent's back (the agent reports it, the broker has it rebuilt). Each step prints
 * how long recovery took. The last `down -- --purge` must leave none of its files.
 */
import { createDataSource, hashPassword } from '@forkdesk/db';
import { freePort } from '@forkdesk/infra';
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, SERVICE_BASE, waitUntil } from '../support/stack';
import { tunnelStreams } from '../support/tunnel';
import { PortalApi } from './portal-api';

jest.setTimeout(40 * 60_000);

/** An open on a ready spare, from the click to the first drawn frame, takes about a second. */
const OPEN_MS = 15_000;
/** From `up` to a spare on a rebuilt template (a tiny VM booting under TCG, beside 7 others). */
const RECOVER_MS = 8 * 60_000;

const id = randomBytes(3).toString('hex');
const stateDir = path.join('/var/tmp', `forkdesk-restart-${id}`);
const serviceDir = path.join(SERVICE_BASE, `restart-${id}`);
const shmDir = `/dev/shm/forkdesk-restart-${id}`;
const employee = { username: 'erin', password: 'erin-password-1234' };
let env: NodeJS.ProcessEnv;
let baseUrl: string;
let up: ChildProcess | undefined;
let databaseUrl: string | undefined;
let upLog = '';

const say = (line: string): boolean => process.stdout.write(`restart paths: ${line}\n`);

/** Runs a program to its end in its own process group; its output, or a failure with it. */
function run(argv: string[], timeoutMs: number): Promise<string> {
  const name = argv.join(' ');
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0], argv.slice(1), {
      cwd: ROOT,
      env,
      detached: true,
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => process.kill(-p.pid!, 'SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${name} exited ${code}:\n${out.slice(-3000)}`));
    });
  });
}

const script = (name: string, args: string[], timeoutMs: number): Promise<string> =>
  run(['bash', path.join(ROOT, 'infra/bootstrap', name), ...args], timeoutMs);

/** `npm run up` in the background; resolves once it says it is up. */
async function startUp(): Promise<void> {
  upLog = '';
  const p = spawn('bash', [path.join(ROOT, 'infra/bootstrap/up.sh')], {
    cwd: ROOT,
    env,
    detached: true,
  });
  up = p;
  p.stdout?.on('data', (d: Buffer) => (upLog += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (upLog += d.toString()));
  await waitUntil(
    'npm run up says it is up',
    async () => {
      if (p.exitCode !== null) throw new Error(`up exited ${p.exitCode}:\n${upLog.slice(-3000)}`);
      return upLog.includes('Forkdesk is up');
    },
    10 * 60_000,
    () => upLog.slice(-3000),
  );
}

/** Ctrl-C on `npm run up` (its whole process group, as a terminal sends it). */
async function ctrlC(): Promise<void> {
  const p = up;
  if (!p?.pid || p.exitCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  process.kill(-p.pid, 'SIGINT');
  await gone;
}

async function db<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  databaseUrl ??= (await run(['node', path.join(ROOT, 'infra/dist/cli.js'), 'pg', 'url'], 60_000))
    .trim()
    .split('\n')
    .pop();
  const ds = createDataSource({ url: databaseUrl as string, poolSize: 1 });
  await ds.initialize();
  try {
    return (await ds.query(sql, params)) as T[];
  } finally {
    await ds.destroy();
  }
}

/** QEMU (and any other) processes of this Forkdesk's service dir. */
function processesOfCheckout(): number[] {
  const pids: number[] = [];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(n)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${n}/cmdline`, 'utf8');
      if (cmd.includes(`${serviceDir}/agent`) && !cmd.includes('jest')) pids.push(Number(n));
    } catch {
      // gone
    }
  }
  return pids;
}

/** The employee signs in, opens the pool and sees it drawn; the ms from "open" to pixels. */
async function openDrawn(poolId: string, within: number): Promise<number> {
  let openMs = 0;
  await waitUntil(
    'an employee gets a desktop',
    async () => {
      try {
        const api = await PortalApi.login(baseUrl, employee);
        const clickedAt = Date.now();
        const opened = await api.open(poolId);
        const c = await api.connect(opened.id);
        if (c.status !== 200 || !c.body.token) return false;
        await tunnelStreams(baseUrl, c.body.token, { drawn: true, timeoutMs: 30_000 });
        openMs = Date.now() - clickedAt;
        return true;
      } catch {
        return false;
      }
    },
    within,
    () => upLog.slice(-3000),
  );
  return openMs;
}

/** Waits for the pool's spares, then times an employee's open: returns the recovery time. */
async function recovered(step: string, since: number, poolId: string): Promise<void> {
  await waitUntil(
    'the pool has a ready spare',
    async () =>
      (
        await db<{ n: number }>(
          `SELECT count(*)::int AS n FROM desktops WHERE pool_id = $1 AND state = 'ready'`,
          [poolId],
        )
      )[0].n > 0,
    RECOVER_MS,
    () => upLog.slice(-3000),
  );
  const openMs = await openDrawn(poolId, OPEN_MS * 2);
  say(
    `${step}: an employee had a drawn desktop ${((Date.now() - since) / 1000).toFixed(1)} s later (open → pixels ${openMs} ms)`,
  );
  expect(openMs).toBeLessThan(OPEN_MS);
}

let poolId: string;

beforeAll(async () => {
  const ports = [
    await freePort(18080 + Math.floor(Math.random() * 1000)),
    await freePort(27450 + Math.floor(Math.random() * 1000)),
    await freePort(24822 + Math.floor(Math.random() * 1000)),
  ];
  baseUrl = `http://127.0.0.1:${ports[0]}`;
  env = { ...process.env };
  delete env.DATABASE_URL; // its own private PostgreSQL, as a fresh clone has
  Object.assign(env, {
    FORKDESK_STATE_DIR: stateDir,
    FORKDESK_SERVICE_DIR: serviceDir,
    FORKDESK_IMAGE: 'tiny',
    FORKDESK_BROKER_PORT: String(ports[0]),
    FORKDESK_API_PORT: String(ports[1]),
    FORKDESK_GATEWAY_PORT: String(ports[2]),
    FORKDESK_HEARTBEAT_MS: '2000',
  });
  fs.mkdirSync(stateDir, { recursive: true });
});

afterAll(async () => {
  await ctrlC().catch(() => undefined);
  await script('down.sh', ['--purge'], 120_000).catch((err: Error) => say(err.message));
  for (const p of processesOfCheckout()) process.kill(p, 'SIGKILL');
  fs.rmSync(serviceDir, { recursive: true, force: true });
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.rmSync(shmDir, { recursive: true, force: true });
});

/** Every process of this Forkdesk's PostgreSQL cluster: its postmaster and its children. */
function postgresProcesses(): number[] {
  const pidFile = path.join(serviceDir, 'pg', 'postmaster.pid');
  const master = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  const out = [master];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(n)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === master)
        out.push(Number(n));
    } catch {
      // gone
    }
  }
  return out;
}

it('comes back by itself after purge, down, a hung database and lost template files', async () => {
  // A first start, as a new user does, and an employee of the pool's group.
  let t = Date.now();
  await startUp();
  const [pool] = await db<{ id: string; group_id: string }>(
    `SELECT p.id, e.group_id FROM pools p JOIN entitlements e ON e.pool_id = p.id
      WHERE p.name = 'Standard desktop' AND e.group_id IS NOT NULL`,
  );
  poolId = pool.id;
  const [user] = await db<{ id: string }>(
    `INSERT INTO users (username, display_name, role, password_hash)
     VALUES ($1, 'Erin', 'user', $2) RETURNING id`,
    [employee.username, await hashPassword(employee.password)],
  );
  await db(`INSERT INTO memberships (user_id, group_id) VALUES ($1, $2)`, [user.id, pool.group_id]);
  await recovered('first up', t, poolId);

  // Ctrl-C, down -- --purge, up: no template, no desktop, no stale row in the way.
  await ctrlC();
  const purged = await script('down.sh', ['--purge'], 180_000);
  expect(purged).toMatch(/removed [0-9]+ template/);
  expect(processesOfCheckout()).toEqual([]);
  expect(fs.existsSync(shmDir)).toBe(false);
  t = Date.now();
  await startUp();
  await recovered('down --purge, up', t, poolId);

  // A plain down stops every QEMU of the checkout (and says so); up forks fresh desktops.
  const down = await script('down.sh', [], 180_000);
  await new Promise((r) => (up?.exitCode !== null ? r(undefined) : up.once('exit', r)));
  expect(down).toMatch(/stopped [1-9][0-9]* desktop/);
  expect(down).toMatch(/kept 1 template/);
  expect(processesOfCheckout()).toEqual([]);
  t = Date.now();
  await startUp();
  await recovered('down, up', t, poolId);

  // PostgreSQL hangs for 20 s: every call to it waits, as on a dead network.
  const pg = postgresProcesses();
  for (const p of pg) process.kill(p, 'SIGSTOP');
  await new Promise((r) => setTimeout(r, 20_000));
  const during = await new PortalApi(baseUrl).call('GET', '/health');
  for (const p of pg) process.kill(p, 'SIGCONT');
  t = Date.now();
  expect(during.status).toBe(503);
  expect(during.ms).toBeLessThan(5_000);
  await recovered('PostgreSQL hung for 20 s', t, poolId);

  // The template's files go behind the agent's back: reported, rebuilt, forked from again.
  const [before] = await db<{ ref: string }>(
    `SELECT agent_template_id AS ref FROM templates WHERE state = 'ready'`,
  );
  const retired = async (): Promise<number> =>
    (
      await db<{ n: number }>(
        `SELECT count(*)::int AS n FROM templates WHERE agent_template_id LIKE $1 || '~%'`,
        [before.ref],
      )
    )[0].n;
  const retiredBefore = await retired();
  fs.rmSync(path.join(serviceDir, 'agent', 'templates', before.ref), { recursive: true });
  fs.rmSync(path.join(shmDir, `${before.ref}.ram`), { force: true });
  t = Date.now();
  await waitUntil(
    'the broker has the template rebuilt',
    async () =>
      (await retired()) > retiredBefore &&
      (
        await db(`SELECT 1 FROM templates WHERE state = 'ready' AND agent_template_id = $1`, [
          before.ref,
        ])
      ).length > 0,
    RECOVER_MS,
    () => upLog.slice(-3000),
  );
  expect(fs.existsSync(path.join(serviceDir, 'agent', 'templates', before.ref))).toBe(true);
  await recovered('template files deleted', t, poolId);

  // The last purge leaves nothing of it but the database and the agent's enrollment.
  await ctrlC();
  await script('down.sh', ['--purge'], 180_000);
  expect(processesOfCheckout()).toEqual([]);
  expect(fs.existsSync(shmDir)).toBe(false);
  expect(fs.readdirSync(path.join(serviceDir, 'agent')).sort()).toEqual(
    expect.arrayContaining(['agent-credentials.json']),
  );
  expect(
    fs.readdirSync(path.join(serviceDir, 'agent')).filter((f) => !/^(agent-|tls$)/.test(f)),
  ).toEqual([]);
});
