/**
 * Whose desktop is whose, on the real stack (broker + agent + tiny image): another employee
 * cannot see, obtain a display token for, shadow, or log off someone's desktop (404 on the
 * employee routes, 403 on the admin ones); an admin can shadow it (the read-only token really
 * streams through /tunnel) and log it off (the agent's VM is gone).
 */
import { PortalApi } from '../faults/portal-api';
import { startStack, waitUntil, type Stack } from '../support/stack';
import { tunnelStreams } from '../support/tunnel';
import { createEmployees } from './employees';

jest.setTimeout(180_000);

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ label: 'desktop-access', minSpare: 1, maxSize: 3 });
  await stack.waitForSpares(1, 120_000);
});

afterAll(async () => {
  await stack?.stop();
});

it("keeps a desktop its owner's: others get 404/403, an admin shadows and logs it off", async () => {
  const [other] = await createEmployees(stack, 1, 'other');
  const emma = await PortalApi.login(stack.baseUrl, stack.employee);
  const mallory = await PortalApi.login(stack.baseUrl, {
    username: other.username,
    password: other.password,
  });
  const admin = await PortalApi.login(stack.baseUrl, stack.admin);

  const desktop = await emma.open(stack.poolId);
  const id = desktop.id;
  await waitUntil(
    "emma's desktop is assigned",
    async () => {
      const r = await emma.call<{ state: string }>('GET', `/api/my/desktops/${id}`);
      return r.body.state === 'assigned';
    },
    60_000,
  );
  const own = await emma.connect(id);
  expect(own.status).toBe(200);
  expect(own.body.token).toEqual(expect.any(String));

  // Another employee: not found on their routes, forbidden on the admin ones.
  expect((await mallory.call('GET', `/api/my/desktops/${id}`)).status).toBe(404);
  expect((await mallory.connect(id)).status).toBe(404);
  expect((await mallory.call('POST', `/api/my/desktops/${id}/logoff`)).status).toBe(404);
  expect((await mallory.call('POST', `/api/admin/sessions/${id}/shadow`)).status).toBe(403);
  expect((await mallory.call('POST', `/api/admin/sessions/${id}/logoff`)).status).toBe(403);
  expect((await mallory.call('GET', '/api/admin/sessions')).status).toBe(403);
  const listed = await mallory.call<{ desktop: unknown }[]>('GET', '/api/my/pools');
  expect(listed.body.map((p) => p.desktop)).toEqual([null]);
  const [still] = await stack.query<{ state: string; assigned_user_id: string }>(
    `SELECT d.state, u.username AS assigned_user_id FROM desktops d JOIN users u ON u.id = d.assigned_user_id
      WHERE d.id = $1`,
    [id],
  );
  expect(still).toEqual({
    state: expect.stringMatching(/^(assigned|in_use)$/),
    assigned_user_id: 'emma',
  });

  // An admin: a read-only token that really streams, then a logoff the agent carries out.
  const shadow = await admin.call<{ token: string; tunnelPath: string }>(
    'POST',
    `/api/admin/sessions/${id}/shadow`,
  );
  expect(shadow.status).toBe(200);
  expect(shadow.body.tunnelPath).toBe('/tunnel');
  await tunnelStreams(stack.baseUrl, shadow.body.token);
  const [vm] = await stack.query<{ vm_id: string }>(`SELECT vm_id FROM desktops WHERE id = $1`, [
    id,
  ]);
  expect((await admin.call('POST', `/api/admin/sessions/${id}/logoff`)).status).toBe(204);
  const [gone] = await stack.query<{ state: string }>(`SELECT state FROM desktops WHERE id = $1`, [
    id,
  ]);
  expect(gone.state).toBe('destroyed');
  expect((await stack.agentCall('GET', `/v1/children/${vm.vm_id}`)).status).toBe(404);
  expect((await emma.connect(id)).status).toBe(409); // destroyed: nothing to connect to
});
