import { AssignmentMode } from '@forkdesk/db';
import { PoolReconciler } from '../scheduler/pool-reconciler.service';
import { PASSWORD } from '../testing/broker-harness';
import { httpFixture } from '../testing/http-fixture';
import { HttpSession } from '../testing/http-session';

// The broker's half of display revocation (issue 15): which agent calls each event makes, that
// an unreachable agent never fails the user's action, and the entitlement check on connect.
const f = httpFixture('broker_display_revoker');

interface Ids {
  alice: string;
  bob: string;
  carol: string;
}

describe('display revocation', () => {
  let ids: Ids;

  const vmOf = async (desktopId: string): Promise<string> =>
    (
      (await f.db.dataSource.query(`SELECT vm_id FROM desktops WHERE id = $1`, [desktopId])) as {
        vm_id: string;
      }[]
    )[0].vm_id;

  /** Opens (and connects to) a desktop as `s`: its id and VM. */
  const openDesktop = async (s: HttpSession): Promise<{ id: string; vmId: string }> => {
    await f.broker.app.get(PoolReconciler).reconcilePool(f.fx.pool.id);
    const open = await s.post(`/api/my/pools/${f.fx.pool.id}/open`);
    expect(open.status).toBe(200);
    const id = open.body.desktop.id as string;
    expect((await s.post(`/api/my/desktops/${id}/connect`)).status).toBe(200);
    return { id, vmId: await vmOf(id) };
  };

  /** The revocations an action made. */
  const during = async (action: () => Promise<unknown>) => {
    const before = f.fake.revocations.length;
    await action();
    return f.fake.revocations.slice(before);
  };

  beforeAll(async () => {
    const users = (await f.admin.get('/api/admin/users')).body as {
      id: string;
      username: string;
    }[];
    const id = (n: string): string => users.find((u) => u.username === n)!.id;
    ids = { alice: id('alice'), bob: id('bob'), carol: id('carol') };
    for (const userId of Object.values(ids))
      await f.admin.post(`/api/admin/pools/${f.fx.pool.id}/entitlements`, { userId });
  });

  it("a logoff revokes every display of the desktop (a dedicated one's, which is kept, too)", async () => {
    await f.admin.patch(`/api/admin/pools/${f.fx.pool.id}`, {
      assignmentMode: AssignmentMode.Dedicated,
    });
    const d = await openDesktop(f.alice);
    const made = await during(() => f.alice.post(`/api/my/desktops/${d.id}/logoff`));
    expect(made).toEqual([{ agent: f.fx.agent.apiUrl, vmId: d.vmId }]);
    expect(await f.desktopState(d.id)).toBe('in_use'); // kept, logged off

    // An admin's logoff ends it: revoked again before the VM goes.
    const ended = await during(() => f.admin.post(`/api/admin/sessions/${d.id}/logoff`));
    expect(ended).toEqual([{ agent: f.fx.agent.apiUrl, vmId: d.vmId }]);
    expect(['destroying', 'destroyed']).toContain(await f.desktopState(d.id));
    // Nothing left to revoke on a desktop already on its way.
    expect(await during(() => f.admin.post(`/api/admin/sessions/${d.id}/logoff`))).toEqual([]);
    await f.admin.patch(`/api/admin/pools/${f.fx.pool.id}`, {
      assignmentMode: AssignmentMode.Floating,
    });
  });

  it("disabling a user and resetting their password revoke that user's displays only", async () => {
    const d = await openDesktop(f.bob);
    const disabled = await during(() =>
      f.admin.patch(`/api/admin/users/${ids.bob}`, { disabled: true }),
    );
    expect(disabled).toEqual([{ agent: f.fx.agent.apiUrl, vmId: d.vmId, user: ids.bob }]);
    await f.admin.patch(`/api/admin/users/${ids.bob}`, { disabled: false });

    const reset = await during(() =>
      f.admin.patch(`/api/admin/users/${ids.bob}`, { password: 'a brand new password' }),
    );
    expect(reset).toEqual([{ agent: f.fx.agent.apiUrl, vmId: d.vmId, user: ids.bob }]);
    // A display name changes nothing of their access.
    expect(
      await during(() => f.admin.patch(`/api/admin/users/${ids.bob}`, { displayName: 'Bob B' })),
    ).toEqual([]);
  });

  it("an admin's shadow session is the admin's display: their sign-out revokes it", async () => {
    const carol = await HttpSession.login(f.broker.url, 'carol', PASSWORD);
    const d = await openDesktop(carol);
    const admin = await HttpSession.login(f.broker.url, 'root', PASSWORD);
    expect((await admin.post(`/api/admin/sessions/${d.id}/shadow`)).status).toBe(200);
    const adminId = (await admin.get('/api/auth/me')).body.user.id as string;
    const out = await during(() => admin.post('/api/auth/logout'));
    expect(out).toEqual([{ agent: f.fx.agent.apiUrl, vmId: d.vmId, user: adminId }]);

    const mine = await during(() => carol.post('/api/auth/logout'));
    expect(mine).toEqual([{ agent: f.fx.agent.apiUrl, vmId: d.vmId, user: ids.carol }]);
  });

  it('an agent that cannot be reached is logged, the action still succeeds', async () => {
    const d = await openDesktop(f.alice);
    f.fake.failRevocations = true;
    try {
      const res = await f.alice.post(`/api/my/desktops/${d.id}/logoff`);
      expect(res.status).toBe(204);
      expect(['destroying', 'destroyed']).toContain(await f.desktopState(d.id));
    } finally {
      f.fake.failRevocations = false;
    }
  });

  it('connect checks the entitlement again: taken away, no new display', async () => {
    const d = await openDesktop(f.alice);
    const list = (await f.admin.get(`/api/admin/pools/${f.fx.pool.id}/entitlements`)).body as {
      id: string;
      userId: string | null;
    }[];
    const e = list.find((x) => x.userId === ids.alice)!;
    expect(
      (await f.admin.delete(`/api/admin/pools/${f.fx.pool.id}/entitlements/${e.id}`)).status,
    ).toBe(204);
    const res = await f.alice.post(`/api/my/desktops/${d.id}/connect`);
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/no longer entitled/);
    // Given back: connects again.
    await f.admin.post(`/api/admin/pools/${f.fx.pool.id}/entitlements`, { userId: ids.alice });
    expect((await f.alice.post(`/api/my/desktops/${d.id}/connect`)).status).toBe(200);
  });
});
