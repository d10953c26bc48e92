// Real QEMU (TCG): the machine-wide template cache. Engine A builds the tiny image's template
// and stores it; engine B (another data dir, same cache, the image under another version name)
// restores it without booting, forks a child that continues the frozen guest, and rebuilds
// when the cache entry was tampered with.
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { dirname, join } from 'path';
import { TemplateRecord } from '../templates/template';
import { cacheEntryFiles } from '../templates/template-cache';
import { buildTinyImage } from '../templates/tiny-image';
import { imageInfo } from '../vm/qemu-img';
import { IntEnv, openIntEnv } from '../testing/int-env';

jest.setTimeout(240_000);

const SHAPE = { vcpus: 1, memoryMiB: 256 };
/** B names the same image content its own way, as a broker does (`v-<uuid>`). */
const B_VERSION = 'v-template-cache-test';

describe('template cache on real QEMU', () => {
  const cacheDir = mkdtempSync('/var/tmp/forkdesk-tcache-');
  const overrides = { FORKDESK_WARM_POOL_MAX: '0', FORKDESK_TEMPLATE_CACHE_DIR: cacheDir };
  let a: IntEnv | undefined;
  let b: IntEnv | undefined;
  let built: TemplateRecord;
  let restoredId: string;

  /** The cache's only entry. */
  const entry = () => {
    const names = readdirSync(cacheDir);
    expect(names).toHaveLength(1);
    return cacheEntryFiles(cacheDir, names[0] ?? '');
  };

  const record = (env: IntEnv | undefined, id: string): TemplateRecord => {
    const r = env?.engine.templateRecord(id);
    if (!r) throw new Error(`no template ${id}`);
    return r;
  };
  /** A build leaves its QEMU's log in the template dir; a restore starts no QEMU. */
  const booted = (r: TemplateRecord): boolean => existsSync(join(dirname(r.stateFile), 'qemu.log'));

  beforeAll(async () => {
    a = await openIntEnv('tcache-a', overrides);
    const t = await a.engine.ensureTemplate({ imageVersion: a.imageVersion, shape: SHAPE });
    built = record(a, t.id);
    b = await openIntEnv('tcache-b', overrides);
    b.engine.importImage(B_VERSION, (await buildTinyImage()).source);
  });

  afterAll(async () => {
    await a?.cleanup();
    await b?.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('stores a built template under its key', () => {
    expect(booted(built)).toBe(true);
    expect(built.restoredFromCache).toBeUndefined();
    const e = entry();
    const cached = JSON.parse(readFileSync(e.record, 'utf8')) as TemplateRecord;
    expect(cached.stateSha256).toBe(built.stateSha256);
    for (const f of [e.ram, e.state, e.overlay]) expect(existsSync(f)).toBe(true);
  });

  it('restores it in another data dir without booting, with its own paths', async () => {
    if (!b) throw new Error('no engine B');
    const t = await b.engine.ensureTemplate({ imageVersion: B_VERSION, shape: SHAPE });
    expect(t.id).not.toBe(built.id);
    restoredId = t.id;
    const r = record(b, t.id);
    expect(r.imageVersion).toBe(B_VERSION);
    expect(r.restoredFromCache).toBe(true);
    expect(booted(r)).toBe(false);
    expect(r.buildMs).toBeLessThan(built.buildMs / 2);
    expect(r.stateSha256).toBe(built.stateSha256);
    const { dataDir, shmDir } = b.cfg;
    for (const f of [r.stateFile, r.overlay, r.deltaProto, r.spec.kernel, r.spec.initrd])
      expect(f.startsWith(`${dataDir}/`)).toBe(true);
    expect(r.ramFile.startsWith(`${shmDir}/`)).toBe(true);
    expect(r.spec.ram.path).toBe(r.ramFile);
    expect(r.spec.id).toBe(t.id);
    const image = b.engine.listImages().find((i) => i.version === B_VERSION);
    expect((await imageInfo(b.cfg.qemuImgBinary, r.overlay))['backing-filename']).toBe(image?.disk);
    expect((await imageInfo(b.cfg.qemuImgBinary, r.deltaProto))['backing-filename']).toBe(
      r.overlay,
    );
    process.stderr.write(`template cache: build ${built.buildMs} ms, restore ${r.buildMs} ms\n`);
  });

  it('forks a child from the restored template that continues the frozen guest', async () => {
    if (!b) throw new Error('no engine B');
    const engine = b.engine;
    const [child] = await engine.fork(restoredId, 1);
    if (!child) throw new Error('no child');
    const sh = async (script: string): Promise<string> => {
      const res = await engine.exec(child.id, { command: ['sh', '-c', script] });
      if (res.exitCode !== 0) throw new Error(`${script}: exit ${res.exitCode}: ${res.stderr}`);
      return res.stdout.trim();
    };
    const [counter = 0, uptime = 0] = (await sh('cat /run/counter; cut -d" " -f1 /proc/uptime'))
      .split('\n')
      .map(Number);
    expect(counter).toBeGreaterThanOrEqual(1);
    expect(uptime).toBeGreaterThan(1);
    const deadline = Date.now() + 20_000;
    let now = counter;
    while (now <= counter && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 300));
      now = Number(await sh('cat /run/counter'));
    }
    expect(now).toBeGreaterThan(counter);
    await engine.destroy(child.id);
  });

  it('rejects a tampered cache entry and rebuilds (and re-stores) the template', async () => {
    if (!b) throw new Error('no engine B');
    await b.engine.deleteTemplate(restoredId);
    appendFileSync(entry().state, 'x');
    const t = await b.engine.ensureTemplate({ imageVersion: B_VERSION, shape: SHAPE });
    const r = record(b, t.id);
    expect(r.restoredFromCache).toBeUndefined();
    expect(booted(r)).toBe(true);
    const e = entry();
    const cached = JSON.parse(readFileSync(e.record, 'utf8')) as TemplateRecord;
    expect(cached.stateSha256).toBe(r.stateSha256);
    expect(readFileSync(e.state).length).toBe(r.stateBytes);
  });
});
