// The `auto` accelerator probe on this host: boots the tiny VM under KVM with a time limit,
// falls back to TCG with a reason, and caches the verdict.
import { existsSync, readdirSync, rmSync } from 'fs';
import { join } from 'path';
import { intConfig } from '../fork/int-env';
import { ImageStore } from '../templates/images';
import { buildTinyImage } from '../templates/tiny-image';
import { lookupUser } from '../vm/layout';
import { qemuBuildId } from '../vm/qemu-build';
import { kvmUsable, resolveAccel } from './probe';

jest.setTimeout(120_000);

describe('accelerator probe (auto)', () => {
  const cfg = intConfig('probe', { FORKDESK_ACCEL: 'auto', FORKDESK_KVM_PROBE_MS: '8000' });

  afterAll(() => {
    rmSync(cfg.dataDir, { recursive: true, force: true });
    rmSync(cfg.shmDir, { recursive: true, force: true });
  });

  it('decides with a reason, caches it, and leaves no VM behind', async () => {
    const tiny = await buildTinyImage();
    const image = new ImageStore(join(cfg.dataDir, 'images')).import(tiny.version, tiny.source);
    const build = qemuBuildId(cfg.qemuBinary);
    const t0 = Date.now();
    const first = await resolveAccel(cfg, build, image, lookupUser(cfg.runAsUser));
    expect(['kvm', 'tcg']).toContain(first.accel);
    expect(first.reason.length).toBeGreaterThan(5);
    if (kvmUsable()) {
      // A real boot under KVM was tried: it either answered or ran out of time.
      expect(first.reason).toMatch(/booted under KVM|did not answer/);
      expect(existsSync(join(cfg.dataDir, 'accel-probe.json'))).toBe(true);
    }
    const firstMs = Date.now() - t0;
    const t1 = Date.now();
    const second = await resolveAccel(cfg, build, image, undefined);
    expect(second.accel).toBe(first.accel);
    expect(Date.now() - t1).toBeLessThan(Math.max(50, firstMs / 4));
    const vms = join(cfg.dataDir, 'vms');
    expect(existsSync(vms) ? readdirSync(vms) : []).toEqual([]);
  });
});
