import request from 'supertest';
import { PoolReconciler } from '../scheduler/pool-reconciler.service';
import { httpFixture } from '../testing/http-fixture';

const f = httpFixture('broker_health');

describe('service', () => {
  // The desktops gauge needs one to show: the pool's spare, forked by the fake agent at once.
  beforeAll(async () => {
    await f.broker.app.get(PoolReconciler).reconcilePool(f.fx.pool.id);
  });

  it('serves /health, /metrics and the OpenAPI document', async () => {
    expect((await request(f.broker.url).get('/health')).body).toEqual({ status: 'ok', db: 'ok' });
    const m = await request(f.broker.url).get('/metrics');
    expect(m.text).toMatch(/forkdesk_broker_logins_total\{result="ok"\}/);
    expect(m.text).toMatch(/forkdesk_broker_desktops\{state="ready"\}/);
    const doc = await request(f.broker.url).get('/api/docs-json');
    expect(Object.keys(doc.body.paths)).toContain('/api/my/pools/{poolId}/open');
  });
});
