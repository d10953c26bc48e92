// A pool's CPU limit: validated by the pools API (10 up to vcpus × 100, or null), and sent with
// each fork of the pool's desktops; a change applies to desktops forked after it.
import { PoolReconciler } from '../scheduler/pool-reconciler.service';
import { httpFixture } from '../testing/http-fixture';

const f = httpFixture('broker_cpulimit');

/** Waits until the fake agent has forked `n` children in all. */
async function forked(n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (f.fake.children.size < n && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  expect(f.fake.children.size).toBe(n);
}

describe('pool CPU limit', () => {
  it('takes whole percents from 10 to vcpus × 100 or none, with clear 400s', async () => {
    const create = (body: Record<string, unknown>) =>
      f.admin.post('/api/admin/pools', { imageId: f.fx.image.id, minSpare: 0, ...body });
    const low = await create({ name: 'low', cpuLimitPercent: 5 });
    expect(low.status).toBe(400);
    expect(low.body.message).toEqual([
      'cpuLimitPercent must be a whole number from 10 to 100 (1 vCPU × 100), got 5',
    ]);
    const high = await create({ name: 'high', vcpus: 2, cpuLimitPercent: 250 });
    expect(high.body.message).toEqual([
      'cpuLimitPercent must be a whole number from 10 to 200 (2 vCPUs × 100), got 250',
    ]);
    for (const cpuLimitPercent of [50.5, '50']) {
      const bad = await create({ name: 'bad', cpuLimitPercent });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toMatch(/cpuLimitPercent must be a whole number/);
    }
    expect((await create({ name: 'none' })).body.cpuLimitPercent).toBeNull();
    const made = await create({ name: 'capped', vcpus: 2, cpuLimitPercent: 150 });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ vcpus: 2, cpuLimitPercent: 150 });
    // Fewer vCPUs than the limit needs: refused, nothing changed.
    const fewer = await f.admin.patch(`/api/admin/pools/${made.body.id}`, { vcpus: 1 });
    expect(fewer.status).toBe(400);
    expect(fewer.body.message).toEqual([
      'cpuLimitPercent must be a whole number from 10 to 100 (1 vCPU × 100), got 150',
    ]);
    expect((await f.admin.get(`/api/admin/pools/${made.body.id}`)).body.vcpus).toBe(2);
    const both = await f.admin.patch(`/api/admin/pools/${made.body.id}`, {
      vcpus: 1,
      cpuLimitPercent: 80,
    });
    expect(both.body).toMatchObject({ vcpus: 1, cpuLimitPercent: 80 });
    const cleared = await f.admin.patch(`/api/admin/pools/${made.body.id}`, {
      cpuLimitPercent: null,
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.cpuLimitPercent).toBeNull();
  });

  it("sends the pool's limit with each fork; a change applies to new desktops only", async () => {
    const reconciler = f.broker.app.get(PoolReconciler);
    const pool = `/api/admin/pools/${f.fx.pool.id}`;
    await reconciler.reconcilePool(f.fx.pool.id);
    await forked(1);
    const [first] = [...f.fake.children.values()];
    expect(first?.cpuLimitPercent).toBeUndefined();
    // Nobody waits for the reconciler's spares: the agent forks them after users' work.
    expect(first?.spare).toBe(true);
    expect((await f.admin.patch(pool, { cpuLimitPercent: 50, minSpare: 2 })).status).toBe(200);
    await reconciler.reconcilePool(f.fx.pool.id);
    await forked(2);
    const [, second] = [...f.fake.children.values()];
    expect(second?.cpuLimitPercent).toBe(50);
    // The running desktop keeps what it was forked with: the broker sent it nothing new.
    expect(f.fake.children.get(first?.id ?? '')?.cpuLimitPercent).toBeUndefined();
  });
});
