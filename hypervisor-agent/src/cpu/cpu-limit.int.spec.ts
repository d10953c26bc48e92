// Real QEMU (TCG): a child forked with a CPU limit has the quota in its own CPU cgroup, reports
// it, and a busy loop in its guest gets no more CPU than that; a re-fork keeps the limit, and
// so does an agent restart.
import type { ChildInfo } from '@forkdesk/agent-contract';
import { readFileSync } from 'fs';
import { join } from 'path';
import { ForkEngine } from '../fork/fork-engine';
import { cpuGroupOf, cpuLimitOf, cpuTimeMs, type CpuGroup } from '../testing/cpu-cgroup';
import { IntEnv, openIntEnv } from '../testing/int-env';

jest.setTimeout(180_000);

const LIMIT = 30;

/** How often the group has hit its quota so far (cpu.stat, v1 and v2 alike). */
function throttledPeriods(g: CpuGroup): number {
  const stat = readFileSync(join(g.dir, 'cpu.stat'), 'utf8');
  return Number(/^nr_throttled (\d+)$/m.exec(stat)?.[1]);
}

describe('CPU limit of a forked child on real QEMU', () => {
  let env: IntEnv;
  let templateId: string;
  let child: ChildInfo;

  const sh = async (id: string, script: string): Promise<string> => {
    const r = await env.engine.exec(id, { command: ['sh', '-c', script] });
    if (r.exitCode !== 0) throw new Error(`${script}: exit ${r.exitCode}: ${r.stderr}`);
    return r.stdout.trim();
  };

  beforeAll(async () => {
    env = await openIntEnv('cpulimit', { FORKDESK_WARM_POOL_MAX: '1' });
    templateId = await env.tinyTemplate();
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('refuses a limit above the template vCPUs × 100 before forking anything', async () => {
    await expect(env.engine.fork(templateId, 1, { cpuLimitPercent: 150 })).rejects.toThrow(
      /cpuLimitPercent must be a whole number from 10 to 100/,
    );
    expect(env.engine.listChildren()).toHaveLength(0);
  });

  it('puts the limit on a warm child own cgroup and reports it', async () => {
    await env.engine.settleWarmPool(templateId);
    [child] = (await env.engine.fork(templateId, 1, { cpuLimitPercent: LIMIT })) as [ChildInfo];
    expect(child).toMatchObject({ warm: true, cpuLimitPercent: LIMIT });
    const group = cpuGroupOf(child.pid);
    expect(group.dir).toContain(child.id);
    expect(cpuLimitOf(group)).toBe(LIMIT);
    expect(env.engine.getChild(child.id)?.cpuLimitPercent).toBe(LIMIT);
    // A fork without a limit has none.
    const [free] = (await env.engine.fork(templateId, 1)) as [ChildInfo];
    expect(free.cpuLimitPercent).toBeUndefined();
    expect(cpuLimitOf(cpuGroupOf(free.pid))).toBeUndefined();
    await env.engine.destroy(free.id);
  });

  it('holds a busy loop in the guest to the limit', async () => {
    const loop = await sh(child.id, '(while :; do :; done) >/dev/null 2>&1 & echo $!');
    const group = cpuGroupOf(child.pid);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const t0 = performance.now();
      const used0 = cpuTimeMs(child.pid);
      const throttled0 = throttledPeriods(group);
      await new Promise((r) => setTimeout(r, 4000));
      const share = (cpuTimeMs(child.pid) - used0) / (performance.now() - t0);
      // Unlimited, TCG runs the loop on a whole core (share 1): capped, 0.3 and a little slack.
      expect(share).toBeLessThan((LIMIT / 100) * 1.25);
      // The group wanted more than its quota: the kernel held it back.
      expect(throttledPeriods(group)).toBeGreaterThan(throttled0);
    } finally {
      await sh(child.id, `kill ${loop}`);
    }
  });

  it('keeps the limit on a re-forked desktop and gives it to its copies', async () => {
    const { children } = await env.engine.forkRunning(child.id, 2);
    expect(children.map((c) => c.id)[0]).toBe(child.id);
    for (const c of children) {
      expect(c.cpuLimitPercent).toBe(LIMIT);
      expect(cpuLimitOf(cpuGroupOf(c.pid))).toBe(LIMIT);
    }
  });

  it('keeps the limits of running desktops across an agent restart', async () => {
    const ids = env.engine.listChildren().map((c) => c.id);
    expect(ids).toHaveLength(2);
    await env.engine.close();
    const again = await ForkEngine.open(env.cfg, { warm: false });
    try {
      for (const id of ids) {
        const c = again.getChild(id);
        expect(c?.cpuLimitPercent).toBe(LIMIT);
        expect(cpuLimitOf(cpuGroupOf(c?.pid ?? 0))).toBe(LIMIT);
      }
    } finally {
      await again.close();
    }
  });
});
