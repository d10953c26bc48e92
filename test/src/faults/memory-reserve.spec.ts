/**
 * Fault test (issue 9): the host runs out of memory above the agent's reserve because a running
 * desktop really dirties its RAM. The agent is restarted with FORKDESK_RESERVE_MIB just under
 * what is available (room for a fork or two), then a desktop writes hundreds of MiB into a
 * tmpfs in its guest: its copy-on-write pages become private host memory, MemAvailable falls
 * under the reserve, and from then on forks are refused with a clear 503 — by the broker
 * (no host has room) and by the agent itself — while the running desktop is unharmed.
 */
import * as fs from 'fs';
import { screendump } from '../e2e/desktop-page';
import { startStack, waitUntil, type Stack } from '../support/stack';
import { PortalApi } from './portal-api';
import { qemuAlive, qemuPid } from './vm-process';

jest.setTimeout(150_000);

const GUEST_MIB = 768;
/** Room left above the reserve before the desktop dirties its memory. */
const HEADROOM_MIB = 250;
/** What the desktop writes: well past the headroom, well within its RAM. */
const DIRTY_MIB = 500;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ label: 'faults-memory', minSpare: 1, memoryMib: GUEST_MIB });
  await stack.waitForSpares(1, 60_000);
});

afterAll(async () => {
  await stack?.stop();
});

interface AgentMemory {
  available_mib: number;
  reserve_mib: number;
}

const agentMemory = async (): Promise<AgentMemory> =>
  (await stack.query<AgentMemory>(`SELECT available_mib, reserve_mib FROM agents`))[0];

function memAvailableMib(): number {
  const m = /MemAvailable:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return Math.floor(Number(m?.[1]) / 1024);
}

describe('host memory under the reserve', () => {
  it('refuses forks with a clear 503 and leaves the running desktop alone', async () => {
    const emma = await PortalApi.login(stack.baseUrl, stack.employee);
    const mine = await emma.open(stack.poolId);
    const [row] = await stack.query<{ vm_id: string }>(`SELECT vm_id FROM desktops WHERE id = $1`, [
      mine.id,
    ]);
    const vmId = row.vm_id;
    const pid = qemuPid(stack.vmDir(vmId));
    await stack.waitForSpares(1, 30_000);

    const reserve = memAvailableMib() - HEADROOM_MIB;
    await stack.agent.kill();
    await stack.agent.restart({ FORKDESK_RESERVE_MIB: String(reserve) });
    await waitUntil(
      'the agent reports its reserve',
      async () => (await agentMemory()).reserve_mib === reserve,
      10_000,
    );
    expect(qemuAlive(pid, vmId)).toBe(true);

    // The desktop fills a tmpfs in its guest: every page it writes becomes private on the host.
    const fill = await stack.guestExec(
      vmId,
      [
        '/bin/sh',
        '-c',
        `mkdir -p /mnt/fill && mount -t tmpfs -o size=${DIRTY_MIB + 20}m fill /mnt/fill && ` +
          `dd if=/dev/zero of=/mnt/fill/data bs=1M count=${DIRTY_MIB} 2>&1`,
      ],
      60_000,
    );
    expect(fill).toMatchObject({ exitCode: 0 });
    // The heartbeats show it: the desktop's private memory up, the host's available memory down.
    await waitUntil(
      'the desktop shows its dirtied memory',
      async () => {
        const [d] = await stack.query<{ private_mib: number | null }>(
          `SELECT private_mib FROM desktops WHERE id = $1`,
          [mine.id],
        );
        return (d.private_mib ?? 0) > DIRTY_MIB * 0.9;
      },
      10_000,
    );
    await waitUntil(
      'the agent reports available memory under its reserve',
      async () => {
        const m = await agentMemory();
        return m.available_mib < m.reserve_mib;
      },
      10_000,
      () => JSON.stringify({ host: memAvailableMib(), reserve }),
    );

    // The broker: the last spare can still be handed out (no fork needed) ...
    const admin = await PortalApi.login(stack.baseUrl, stack.admin);
    const spare = await admin.open(stack.poolId);
    expect(spare.state).toBe('assigned');
    expect((await admin.call('POST', `/api/my/desktops/${spare.id}/logoff`)).status).toBe(204);
    // ... but a fork is refused: no host has room, come back later.
    const refused = await admin.call<{ message: string }>(
      'POST',
      `/api/my/pools/${stack.poolId}/open`,
    );
    expect(refused.status).toBe(503);
    expect(refused.body.message).toMatch(/no host has room/);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);

    // The agent refuses a fork by itself too (a broker with a stale view asking anyway).
    const [tpl] = await stack.query<{ agent_template_id: string }>(
      `SELECT agent_template_id FROM templates WHERE state = 'ready'`,
    );
    const res = await stack.agentCall('POST', '/v1/children', {
      templateId: tpl.agent_template_id,
      count: 1,
    });
    const body = JSON.parse(res.text) as { message: string };
    expect(res.status).toBe(503);
    expect(body.message).toMatch(/not enough memory.*reserve/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);

    // No fork was started meanwhile, and the running desktop is whole and working.
    const [live] = await stack.query<{ forking: number; ready: number }>(
      `SELECT count(*) FILTER (WHERE state = 'forking')::int AS forking,
              count(*) FILTER (WHERE state = 'ready')::int AS ready FROM desktops`,
    );
    expect(live).toEqual({ forking: 0, ready: 0 });
    const [d] = await stack.query<{ state: string }>(`SELECT state FROM desktops WHERE id = $1`, [
      mine.id,
    ]);
    expect(d.state).toBe('assigned');
    expect(qemuAlive(pid, vmId)).toBe(true);
    const size = await stack.guestExec(vmId, ['/bin/sh', '-c', 'stat -c %s /mnt/fill/data']);
    expect(Number(size.stdout.trim())).toBe(DIRTY_MIB * 1024 * 1024);
    expect((await screendump(stack.vmDir(vmId))).width).toBeGreaterThan(0);
    expect((await emma.connect(mine.id)).status).toBe(200);
  });
});
