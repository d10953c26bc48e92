/**
 * Fault test (issues 9, 18): PostgreSQL unreachable for 10 s, then hung for 20 s, under a
 * running Forkdesk. The broker
 * reaches the database through a TCP proxy that the test switches off (every connection cut,
 * new ones reset — what a stopped server looks like to its clients); the shared test server
 * itself keeps running for the other suites. During the outage every API call answers 503
 * promptly (no 500, no hang, no crash); afterwards nothing has changed in the data and
 * everything works again: sessions, the desktop, connects, opens, heartbeats, the pool.
 * Hung (packets dropped: every call waits, nothing is refused) is the harder case: the API
 * still answers 503 within 5 s, the desktop in use keeps working, and all of it recovers.
 */
import { startStack, waitUntil, type Stack } from '../support/stack';
import { PortalApi, type ApiAnswer } from './portal-api';
import { PausableProxy } from './tcp-proxy';

jest.setTimeout(180_000);

const OUTAGE_MS = 10_000;
const HANG_MS = 20_000;
/** An answer during the outage must come at least this fast (pg connects fail at once). */
const PROMPT_MS = 5_000;

let proxy: PausableProxy;
let stack: Stack;

/** The shared test server (npm test sets DATABASE_URL; startStack says so when it is missing). */
const target = new URL(process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/unset');

beforeAll(async () => {
  proxy = await PausableProxy.start(target.hostname, Number(target.port || 5432));
  stack = await startStack({
    label: 'faults-database',
    minSpare: 1,
    brokerDatabaseUrl: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(proxy.port);
      return u.toString();
    },
  });
  await stack.waitForSpares(1, 60_000);
});

afterAll(async () => {
  proxy?.resume(); // the broker's shutdown may still want its database
  await stack?.stop();
  await proxy?.close();
});

interface Row {
  id: string;
  state: string;
  vm_id: string | null;
}

const snapshot = (): Promise<Row[]> =>
  stack.query<Row>(
    `SELECT id, state, vm_id, assigned_user_id, reserved_user_id FROM desktops ORDER BY id`,
  );

describe('PostgreSQL away for 10 s', () => {
  it('answers 503 meanwhile, keeps the data intact and recovers', async () => {
    const emma = await PortalApi.login(stack.baseUrl, stack.employee);
    const desktop = await emma.open(stack.poolId);
    expect((await emma.connect(desktop.id)).status).toBe(200);
    await stack.waitForSpares(1, 30_000);
    const before = await snapshot();
    const audits = await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events`);
    const brokerPid = stack.broker.pid;
    const fresh = new PortalApi(stack.baseUrl);
    await fresh.call('GET', '/health'); // its CSRF cookie, so its login reaches the database

    proxy.pause();
    const t0 = Date.now();
    const answers: { what: string; a: ApiAnswer }[] = [];
    while (Date.now() - t0 < OUTAGE_MS) {
      for (const [what, call] of [
        ['GET /health', () => emma.call('GET', '/health')],
        ['GET /api/my/pools', () => emma.call('GET', '/api/my/pools')],
        ['POST open', () => emma.call('POST', `/api/my/pools/${stack.poolId}/open`)],
        ['POST connect', () => emma.call('POST', `/api/my/desktops/${desktop.id}/connect`)],
        ['POST login', () => fresh.call('POST', '/api/auth/login', stack.admin)],
      ] as const) {
        answers.push({ what, a: await call() });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    proxy.resume();

    const summary = answers.map(({ what, a }) => `${what}: ${a.status} in ${a.ms} ms`);
    expect(answers.length).toBeGreaterThan(20);
    expect(summary.filter((line) => !/: 503 in/.test(line))).toEqual([]);
    expect(answers.filter(({ a }) => a.ms >= PROMPT_MS).map(({ what }) => what)).toEqual([]);
    // The health check says "down"; every other answer also says when to try again.
    expect(answers.filter(({ what, a }) => what !== 'GET /health' && !a.retryAfter)).toEqual([]);
    expect(stack.broker.pid).toBe(brokerPid);
    expect(process.kill(brokerPid, 0)).toBe(true); // still the same, living process

    // Recovery: the same login session, the same desktop, and writes work again.
    const resumed = new Date();
    await waitUntil(
      'the broker reaches its database again',
      async () => (await emma.call('GET', '/health')).status === 200,
      15_000,
      () => stack.broker.tail(),
    );
    expect(await snapshot()).toEqual(before);
    expect(
      (await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events`))[0].n,
    ).toBe(audits[0].n);
    const pools = await emma.call<{ pool: { id: string }; desktop: { id: string } | null }[]>(
      'GET',
      '/api/my/pools',
    );
    expect(pools.status).toBe(200);
    expect(pools.body.find((p) => p.pool.id === stack.poolId)?.desktop?.id).toBe(desktop.id);
    expect((await emma.connect(desktop.id)).status).toBe(200);
    const vmId = before.find((d) => d.id === desktop.id)?.vm_id ?? '';
    expect((await stack.guestExec(vmId, ['/bin/true'])).exitCode).toBe(0);
    await waitUntil(
      'the agent heartbeats again',
      async () =>
        (
          await stack.query(
            `SELECT 1 FROM agents WHERE state = 'active' AND last_heartbeat_at > $1`,
            [resumed],
          )
        ).length > 0,
      10_000,
    );
    const admin = await PortalApi.login(stack.baseUrl, stack.admin);
    const other = await admin.open(stack.poolId);
    expect(other.id).not.toBe(desktop.id);
    await stack.waitForSpares(1, 30_000);
  });
});

describe('PostgreSQL hung for 20 s (packets dropped, calls hang)', () => {
  it('answers 503 within 5 s meanwhile, the desktop in use keeps working, and all recovers', async () => {
    const emma = await PortalApi.login(stack.baseUrl, stack.employee);
    const desktop = await emma.open(stack.poolId);
    expect((await emma.connect(desktop.id)).status).toBe(200);
    await stack.waitForSpares(1, 30_000);
    const [row] = await stack.query<Row>(`SELECT id, state, vm_id FROM desktops WHERE id = $1`, [
      desktop.id,
    ]);
    const brokerPid = stack.broker.pid;

    proxy.hang();
    const t0 = Date.now();
    const answers: { what: string; a: ApiAnswer }[] = [];
    const inUse: number[] = [];
    while (Date.now() - t0 < HANG_MS) {
      for (const [what, call] of [
        ['GET /health', () => emma.call('GET', '/health')],
        ['GET /api/my/pools', () => emma.call('GET', '/api/my/pools')],
        ['POST connect', () => emma.call('POST', `/api/my/desktops/${desktop.id}/connect`)],
      ] as const) {
        answers.push({ what, a: await call() });
      }
      // The desktop itself does not need the database: its agent and VM carry on.
      inUse.push((await stack.guestExec(row.vm_id ?? '', ['/bin/true'])).exitCode);
    }
    proxy.resume();
    const resumed = Date.now();

    const summary = answers.map(({ what, a }) => `${what}: ${a.status} in ${a.ms} ms`);
    expect(answers.length).toBeGreaterThan(5);
    expect(summary.filter((line) => !/: 503 in/.test(line))).toEqual([]);
    expect(
      answers.filter(({ a }) => a.ms >= PROMPT_MS).map(({ what, a }) => `${what} ${a.ms}`),
    ).toEqual([]);
    expect(answers.filter(({ what, a }) => what !== 'GET /health' && !a.retryAfter)).toEqual([]);
    expect(inUse.length).toBeGreaterThan(1);
    expect(inUse.every((code) => code === 0)).toBe(true);
    expect(process.kill(brokerPid, 0)).toBe(true);

    await waitUntil(
      'the broker reaches its database again',
      async () => (await emma.call('GET', '/health')).status === 200,
      15_000,
      () => stack.broker.tail(),
    );
    expect((await emma.connect(desktop.id)).status).toBe(200);
    await waitUntil(
      'the agent heartbeats again',
      async () =>
        (
          await stack.query(
            `SELECT 1 FROM agents WHERE state = 'active' AND last_heartbeat_at > $1`,
            [new Date(resumed)],
          )
        ).length > 0,
      15_000,
    );
    const admin = await PortalApi.login(stack.baseUrl, stack.admin);
    const other = await admin.open(stack.poolId);
    expect(other.id).not.toBe(desktop.id);
    process.stdout.write(
      `database hung for ${HANG_MS / 1000} s: ${answers.length} API answers, all 503 (slowest ${Math.max(...answers.map(({ a }) => a.ms))} ms); recovered in ${Date.now() - resumed} ms (health, connect, heartbeat, open)\n`,
    );
  });
});
