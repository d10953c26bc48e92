// The `auto` accelerator probe on this host: boots the tiny VM under KVM with a time limit,
// falls back to TCG with a reason, and caches the verdict.
import { existsSync, readdirSync, rmSync } from 'fs';
import { join } from 'path';
import { intConfig } from '../testing/int-env';
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
    const first = await resolveAccel(cfg, build, image, lookupUser(cfg.runAsUser));
    // The verdict this host must give: without a usable /dev/kvm, TCG with that reason and no
    // boot; with one, a real boot under KVM that either answered or ran out of time.
    const kvmProblem = kvmUsable();
    if (kvmProblem) {
      expect(first).toEqual({ accel: 'tcg', reason: kvmProblem });
    } else {
      expect(first.reason).toMatch(/booted under KVM|did not answer/);
      expect(existsSync(join(cfg.dataDir, 'accel-probe.json'))).toBe(true);
    }
    // The second call answers from the cache (no user handed over to boot a VM with).
    const second = await resolveAccel(cfg, build, image, undefined);
    expect(second.accel).toBe(first.accel);
    expect(second.reason).toBe(first.reason);
    const vms = join(cfg.dataDir, 'vms');
    expect(existsSync(vms) ? readdirSync(vms) : []).toEqual([]);
  });
});
