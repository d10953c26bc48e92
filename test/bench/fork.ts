// Fork engine benchmark on real QEMU (TCG here): template build, cold and warm fork latency,
// sustained fork rate, idle private memory, and how many 1 GiB children run at once.
// Run: npx tsx test/bench/fork.ts [--children 200] [--sustain-s 60] [--mem 1024]
// Prints a table and writes .forkdesk/bench/fork.json.
import {
  ForkEngine,
  InsufficientMemoryError,
  readHostMemory,
  readProcessMemory,
} from '@forkdesk/hypervisor-agent';
import { openIntEnv } from '@forkdesk/hypervisor-agent/testing';
import { type Figure, percentile as pct, writeReport } from '../src/support/bench-report';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number`);
  return v;
}

const out = (line: string): void => {
  process.stdout.write(line + '\n');
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function destroyAllChildren(engine: ForkEngine): Promise<void> {
  await Promise.all(engine.listChildren().map((c) => engine.destroy(c.id)));
}

async function main(): Promise<void> {
  const maxChildren = arg('children', 200);
  const sustainS = arg('sustain-s', 60);
  const memoryMiB = arg('mem', 1024);
  const shape = { vcpus: 1, memoryMiB };
  const figures: Record<string, Figure> = {};
  const fig = (
    key: string,
    value: number,
    unit: string,
    target?: number,
    better: 'lower' | 'higher' = 'lower',
  ): void => {
    figures[key] = {
      value: Math.round(value * 10) / 10,
      unit,
      better,
      ...(target !== undefined ? { target } : {}),
    };
  };

  const env = await openIntEnv('bench', {
    FORKDESK_WARM_POOL_MAX: '4',
    FORKDESK_RESERVE_MIB: '2048',
  });
  const { engine } = env;
  try {
    out(
      `fork bench: ${memoryMiB} MiB guest, TCG, up to ${maxChildren} children, sustain ${sustainS} s`,
    );
    let t0 = Date.now();
    const tpl = await engine.ensureTemplate({ imageVersion: env.imageVersion, shape });
    const rec = engine.templateRecord(tpl.id);
    fig('template_build_ms', Date.now() - t0, 'ms');
    fig('template_freeze_ms', rec?.freezeMs ?? NaN, 'ms');
    fig('device_state_kib', (rec?.stateBytes ?? NaN) / 1024, 'KiB');
    await engine.settleWarmPool(tpl.id);

    // Cold forks, one at a time (no warm pool).
    const cold: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [c] = await engine.forkWith(tpl.id, 1, { useWarm: false });
      if (c) {
        cold.push(c.forkMs);
        await engine.destroy(c.id);
      }
    }
    fig('fork_p50_ms', pct(cold, 50), 'ms', 150, 'lower');
    fig('fork_p95_ms', pct(cold, 95), 'ms');
    fig('fork_p99_ms', pct(cold, 99), 'ms', 400, 'lower');

    // 4 batches of 8 concurrent cold forks.
    const batch: number[] = [];
    const batchWall: number[] = [];
    for (let b = 0; b < 4; b++) {
      t0 = Date.now();
      const kids = await engine.forkWith(tpl.id, 8, { useWarm: false });
      batchWall.push(Date.now() - t0);
      batch.push(...kids.map((k) => k.forkMs));
      await destroyAllChildren(engine);
    }
    fig('batch8_fork_p50_ms', pct(batch, 50), 'ms');
    fig('batch8_fork_p95_ms', pct(batch, 95), 'ms');
    fig('batch8_fork_p99_ms', pct(batch, 99), 'ms');
    fig('batch8_wall_p50_ms', pct(batchWall, 50), 'ms');

    // Warm forks: the pool is settled before each.
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) {
      await engine.settleWarmPool(tpl.id);
      await sleep(50);
      const [c] = await engine.fork(tpl.id, 1);
      if (c?.warm) warm.push(c.forkMs);
      if (c) await engine.destroy(c.id);
    }
    fig('warm_fork_p50_ms', pct(warm, 50), 'ms', 25, 'lower');
    fig('warm_fork_p95_ms', pct(warm, 95), 'ms');
    fig('warm_forks_measured', warm.length, 'count');

    // Sustained rate: fork for `sustainS` seconds, keeping at most 16 children alive.
    let forks = 0;
    const live: string[] = [];
    t0 = Date.now();
    while (Date.now() - t0 < sustainS * 1000) {
      const kids = await engine.fork(tpl.id, 4);
      forks += kids.length;
      live.push(...kids.map((k) => k.id));
      while (live.length > 16) await engine.destroy(live.shift() ?? '');
    }
    fig('forks_per_s', forks / ((Date.now() - t0) / 1000), 'forks/s', 10, 'higher');
    await destroyAllChildren(engine);

    // Idle private memory of one child.
    const [idle] = await engine.forkWith(tpl.id, 1, { useWarm: false });
    await sleep(15_000);
    fig(
      'idle_child_private_mib',
      readProcessMemory(idle?.pid ?? 0)?.privateMiB ?? NaN,
      'MiB',
      64,
      'lower',
    );
    await destroyAllChildren(engine);

    // As many children as fit (or `maxChildren`), in batches of 8.
    t0 = Date.now();
    let stopReason = 'reached the requested count';
    const mass: number[] = [];
    while (engine.listChildren().length < maxChildren) {
      const n = Math.min(8, maxChildren - engine.listChildren().length);
      try {
        const kids = await engine.fork(tpl.id, n);
        mass.push(...kids.map((k) => k.forkMs));
      } catch (err) {
        stopReason =
          err instanceof InsufficientMemoryError
            ? 'memory reserve reached'
            : (err as Error).message;
        break;
      }
    }
    const running = engine.listChildren();
    // Every child's guest agent must answer (a ping, 16 at a time: 200 guest-execs at once
    // would just measure a saturated host); a sample also runs a command.
    let answering = 0;
    for (let i = 0; i < running.length; i += 16) {
      await Promise.all(
        running.slice(i, i + 16).map(async (c) => {
          const ga = await engine.guest(c.id).catch(() => undefined);
          if (
            await ga?.ping(30_000).then(
              () => true,
              () => false,
            )
          )
            answering++;
        }),
      );
    }
    let sampled = 0;
    for (const c of running.filter((_, i) => i % 20 === 0)) {
      const r = await engine
        .exec(c.id, { command: ['cat', '/run/counter'], timeoutMs: 30_000 })
        .catch(() => undefined);
      if (r?.exitCode === 0 && Number(r.stdout) > 0) sampled++;
    }
    const privs = running.map((c) => readProcessMemory(c.pid)?.privateMiB ?? 0);
    fig('children_1gib_running', answering, 'children', 200, 'higher');
    fig('mass_fork_time_s', (Date.now() - t0) / 1000, 's');
    fig('mass_fork_p50_ms', pct(mass, 50), 'ms');
    fig(
      'mass_child_private_avg_mib',
      privs.reduce((a, b) => a + b, 0) / Math.max(1, privs.length),
      'MiB',
    );
    fig('host_available_after_mib', readHostMemory().availableMiB, 'MiB');
    out(
      `mass fork stopped: ${stopReason}; ${answering}/${running.length} answer guest-ping; ` +
        `${sampled} sampled ran a command`,
    );
  } finally {
    await env.cleanup();
  }

  writeReport('fork', figures);
}

main().catch((err: Error) => {
  process.stderr.write(`fork bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
