/**
 * 200 employees press "Open" at the same moment on one pool backed by the real agent forking
 * the tiny image (TCG). The pool's max is kept small for 2 cores: the pool fills to exactly
 * `max` live desktops, every 200 is a distinct desktop of a distinct user, every other answer
 * is a clean 503 with Retry-After and a message; the database holds no double assignment and
 * its VMs are exactly the agent's. Then everyone logs off and the pool returns to minSpare.
 * (broker/src/desktops/open-concurrency.int.spec.ts is the broker's unit-level twin on a fake
 * agent.)
 */
import type { ChildInfo } from '@forkdesk/agent-contract';
import type { ApiAnswer, PortalApi } from '../faults/portal-api';
import { startStack, waitUntil, type Stack } from '../support/stack';
import { createEmployees, signIn } from './employees';

jest.setTimeout(240_000);

const USERS = 200;
const MIN_SPARE = 4;
const MAX = 20;
const LIVE = `('forking', 'ready', 'assigned', 'in_use', 'destroying')`;

type Opened = ApiAnswer<{ desktop?: { id: string; state: string }; message?: string }>;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    label: 'open-storm',
    minSpare: MIN_SPARE,
    maxSize: MAX,
    env: { FORKDESK_DB_POOL: '30' },
  });
  await stack.waitForSpares(MIN_SPARE, 120_000);
});

afterAll(async () => {
  await stack?.stop();
});

async function agentVms(): Promise<string[]> {
  // Over the agent's mutual TLS, with a client certificate from the broker's CA.
  const res = await stack.agentCall('GET', '/v1/children');
  if (res.status !== 200) throw new Error(`agent children: ${res.status}`);
  return (JSON.parse(res.text) as ChildInfo[]).map((c) => c.id).sort();
}

it('fills the pool to exactly max with distinct desktops, 503s the rest, never assigns twice', async () => {
  const employees = await createEmployees(stack, USERS, 'storm');
  const sessions: PortalApi[] = [];
  for (let i = 0; i < USERS; i += 25) {
    sessions.push(
      ...(await Promise.all(
        employees.slice(i, i + 25).map((e) => signIn(stack.baseUrl, e, 60_000)),
      )),
    );
  }

  const t0 = performance.now();
  const answers = (await Promise.all(
    sessions.map((s) => s.call('POST', `/api/my/pools/${stack.poolId}/open`)),
  )) as Opened[];
  const wallMs = performance.now() - t0;

  const ok = answers.filter((a) => a.status === 200);
  const full = answers.filter((a) => a.status === 503);
  // Anything but a desktop or a clean "pool full" is shown with its status and message.
  const other = answers.filter((a) => a.status !== 200 && a.status !== 503);
  expect(other.map((a) => `${a.status} ${a.body.message ?? ''} (${a.ms} ms)`)).toEqual([]);
  expect(full.filter((a) => !/maximum of 20 desktops/.test(a.body.message ?? ''))).toEqual([]);
  for (const a of full) expect(a.retryAfter).toMatch(/^\d+$/);
  const ids = ok.map((a) => a.body.desktop!.id);
  expect(new Set(ids).size).toBe(ok.length);

  // Forks the storm started finish (or fail) before the database is judged.
  await waitUntil(
    'no desktop forking',
    async () =>
      (
        await stack.query(`SELECT 1 FROM desktops WHERE pool_id = $1 AND state = 'forking'`, [
          stack.poolId,
        ])
      ).length === 0,
    120_000,
  );
  const live = await stack.query<{
    id: string;
    state: string;
    assigned_user_id: string | null;
    vm_id: string;
  }>(
    `SELECT id, state, assigned_user_id, vm_id FROM desktops WHERE pool_id = $1 AND state IN ${LIVE}`,
    [stack.poolId],
  );
  const assigned = live.filter((d) => d.state === 'assigned' || d.state === 'in_use');
  const spares = live.filter((d) => d.state === 'ready');
  // The pool is exactly full: the storm's desktops, plus any spare the reconciler forked into
  // a slot while the storm was answered (it counts against max like any desktop).
  expect(live).toHaveLength(MAX);
  expect(assigned.length + spares.length).toBe(MAX);
  // Every desktop answered to a user is that user's now (shown with its trail when not).
  const assignedIds = new Set(assigned.map((d) => d.id));
  const astray = await stack.query(
    `SELECT d.id, d.state, d.assigned_user_id, d.reserved_user_id, d.last_error,
            (SELECT string_agg(a.action || ' by ' || a.actor, ', ' ORDER BY a.id) FROM audit_events a
              WHERE a.target_id = d.id::text) AS trail
       FROM desktops d WHERE d.id = ANY($1::uuid[])`,
    [ids.filter((id) => !assignedIds.has(id))],
  );
  expect(astray).toEqual([]);
  expect(assigned).toHaveLength(ok.length);
  expect(ok.length).toBeGreaterThanOrEqual(MAX - MIN_SPARE);
  expect(new Set(assigned.map((d) => d.assigned_user_id)).size).toBe(assigned.length);
  const [dup] = await stack.query<{ users: number; desktops: number; vms: number }>(
    `SELECT (SELECT count(*)::int FROM (SELECT assigned_user_id FROM desktops
               WHERE state IN ('assigned', 'in_use') GROUP BY assigned_user_id HAVING count(*) > 1) u) AS users,
            (SELECT count(*)::int FROM (SELECT target_id FROM audit_events WHERE action = 'desktop.assigned'
               GROUP BY target_id HAVING count(*) > 1) d) AS desktops,
            (SELECT count(*)::int FROM (SELECT vm_id FROM desktops WHERE state IN ${LIVE}
               GROUP BY vm_id HAVING count(*) > 1) v) AS vms`,
  );
  expect(dup).toEqual({ users: 0, desktops: 0, vms: 0 });
  expect(await agentVms()).toEqual(live.map((d) => d.vm_id).sort());
  const slowest = (a: Opened[]): number => Math.max(0, ...a.map((x) => x.ms));
  process.stdout.write(
    `open storm: ${ok.length} desktops (slowest ${slowest(ok)} ms), ${full.length} x 503 (slowest ${slowest(full)} ms), ${spares.length} spare(s), ${wallMs.toFixed(0)} ms wall\n`,
  );

  // Everyone logs off; the pool goes back to minSpare and the agent runs only those.
  const owners = sessions.filter((_, i) => answers[i].status === 200);
  const offs = await Promise.all(
    owners.map((s, i) => s.call('POST', `/api/my/desktops/${ids[i]}/logoff`)),
  );
  expect(offs.map((o) => o.status)).toEqual(owners.map(() => 204));
  await stack.waitForSpares(MIN_SPARE, 120_000);
  // The logged-off desktops are 'destroying' until the agent has stopped their VMs.
  let after: { vm_id: string }[] = [];
  await waitUntil(
    `only the ${MIN_SPARE} spares live`,
    async () => {
      after = await stack.query<{ vm_id: string }>(
        `SELECT vm_id FROM desktops WHERE pool_id = $1 AND state IN ${LIVE}`,
        [stack.poolId],
      );
      return after.length === MIN_SPARE;
    },
    60_000,
  );
  await waitUntil(
    'the agent runs only the spares',
    async () =>
      JSON.stringify(await agentVms()) === JSON.stringify(after.map((d) => d.vm_id).sort()),
    30_000,
  );
});
