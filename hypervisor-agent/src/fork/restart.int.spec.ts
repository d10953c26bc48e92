// The agent dies (SIGKILL of the process that ran the engine), its QEMU children do not; a new
// engine on the same data dir re-adopts them.
import { ChildProcess, spawn } from 'child_process';
import { rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { ForkEngine } from './fork-engine';
import { intConfig } from '../testing/int-env';

jest.setTimeout(180_000);

const OWNER = `
const { ForkEngine } = require(${JSON.stringify(join(__dirname, 'fork-engine'))});
const { buildTinyImage } = require(${JSON.stringify(join(__dirname, '..', 'templates', 'tiny-image'))});
const { loadConfig } = require(${JSON.stringify(join(__dirname, '..', 'config'))});
(async () => {
  const engine = await ForkEngine.open(loadConfig(JSON.parse(process.env.OWNER_ENV)));
  const tiny = await buildTinyImage();
  engine.importImage(tiny.version, tiny.source);
  const t = await engine.ensureTemplate({ imageVersion: tiny.version, shape: { vcpus: 1, memoryMiB: 256 } });
  const kids = await engine.fork(t.id, 5);
  process.stdout.write(JSON.stringify(kids.map((k) => k.id)) + '\\n');
  setInterval(() => undefined, 1000);
})().catch((e) => { process.stderr.write(String(e && e.stack) + '\\n'); process.exit(1); });
`;

describe('engine restart', () => {
  const cfg = intConfig('restart', { FORKDESK_WARM_POOL_MAX: '1' });
  let owner: ChildProcess | undefined;
  let engine: ForkEngine | undefined;
  const script = join(cfg.dataDir, 'owner.ts');

  afterAll(async () => {
    if (owner?.pid && owner.exitCode === null) {
      try {
        process.kill(-owner.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (!engine) engine = await ForkEngine.open(cfg);
    await engine.destroyAll();
    rmSync(cfg.dataDir, { recursive: true, force: true });
    rmSync(cfg.shmDir, { recursive: true, force: true });
  });

  it('re-adopts 5 children after the owner process is SIGKILLed', async () => {
    writeFileSync(script, OWNER);
    const env: Record<string, string> = {
      FORKDESK_DATA_DIR: cfg.dataDir,
      FORKDESK_SHM_DIR: cfg.shmDir,
      FORKDESK_ACCEL: 'tcg',
      FORKDESK_RESERVE_MIB: String(cfg.reserveMiB),
      FORKDESK_WARM_POOL_MAX: '1',
      FORKDESK_LOG_LEVEL: 'warn',
    };
    const child = spawn('npx', ['tsx', script], {
      cwd: join(__dirname, '..', '..', '..'),
      env: { ...process.env, OWNER_ENV: JSON.stringify(env) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so the whole npx/tsx/node chain dies together.
      detached: true,
    });
    owner = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const ids = await new Promise<string[]>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('['));
        if (line) resolve(JSON.parse(line) as string[]);
      });
      child.once('exit', (code) => reject(new Error(`owner exited ${code}: ${stderr}`)));
    });
    expect(ids).toHaveLength(5);
    // Kill the owner's process group; its QEMU children run in their own sessions.
    process.kill(-(child.pid ?? 0), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));

    engine = await ForkEngine.open(cfg);
    const listed = engine
      .listChildren()
      .map((c) => c.id)
      .sort();
    expect(listed).toEqual([...ids].sort());
    for (const id of ids) {
      expect(engine.getChild(id)?.state).toBe('running');
      const r = await engine.exec(id, { command: ['cat', '/run/counter'] });
      expect(r.exitCode).toBe(0);
    }
    for (const id of ids) await engine.destroy(id);
    expect(engine.listChildren()).toHaveLength(0);
  });
});
