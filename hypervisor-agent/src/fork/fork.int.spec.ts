// Real QEMU (TCG): a template, 10 children, isolation of RAM and disk, personalization,
// template validation and QEMU dying mid-fork.
import { ChildInfo } from '@forkdesk/agent-contract';
import { appendFileSync, chmodSync, existsSync, readFileSync, statSync, truncateSync } from 'fs';
import { join } from 'path';
import { QEMU_ENVIRONMENT } from '../vm/process';
import { imageInfo } from '../vm/qemu-img';
import { IntEnv, openIntEnv } from '../testing/int-env';

jest.setTimeout(180_000);

describe('fork engine on real QEMU', () => {
  let env: IntEnv;
  let templateId: string;
  let children: ChildInfo[];

  const sh = async (id: string, script: string): Promise<string> => {
    const r = await env.engine.exec(id, { command: ['sh', '-c', script] });
    if (r.exitCode !== 0) throw new Error(`${script}: exit ${r.exitCode}: ${r.stderr}`);
    return r.stdout.trim();
  };

  beforeAll(async () => {
    // Stands for the agent's secrets (DATABASE_URL, the enrollment token): none may reach QEMU.
    process.env.FORKDESK_TEST_SECRET = 'must-not-reach-qemu';
    env = await openIntEnv('forkint', { FORKDESK_WARM_POOL_MAX: '0' });
    templateId = await env.tinyTemplate();
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('builds a frozen, read-only template and reuses it', async () => {
    const rec = env.engine.templateRecord(templateId);
    expect(rec).toBeDefined();
    if (!rec) return;
    expect(rec.stateBytes).toBeGreaterThan(100_000);
    expect(rec.stateBytes).toBeLessThan(8_000_000);
    for (const f of [rec.ramFile, rec.stateFile, rec.overlay])
      expect(statSync(f).mode & 0o222).toBe(0);
    const again = await env.engine.ensureTemplate({
      imageVersion: env.imageVersion,
      shape: { vcpus: 1, memoryMiB: 256 },
    });
    expect(again.id).toBe(templateId);
    expect(env.engine.listTemplates()).toHaveLength(1);
  });

  it('forks 10 children that each continue the parent state', async () => {
    children = await env.engine.fork(templateId, 10);
    expect(children).toHaveLength(10);
    expect(new Set(children.map((c) => c.pid)).size).toBe(10);
    expect(env.engine.getTemplate(templateId)?.children).toBe(10);
    for (const c of children) {
      const environ = readFileSync(`/proc/${c.pid}/environ`, 'utf8').split('\0').filter(Boolean);
      expect(environ.sort()).toEqual(
        Object.entries(QEMU_ENVIRONMENT)
          .map(([k, v]) => `${k}=${v}`)
          .sort(),
      );
    }
    const first = await Promise.all(
      children.map((c) => sh(c.id, 'cat /run/counter; cut -d" " -f1 /proc/uptime')),
    );
    children.forEach((_, i) => {
      const [counter, uptime] = (first[i] ?? '').split('\n').map(Number);
      // The template booted before it froze: a child starts with its uptime and counter.
      expect(counter).toBeGreaterThanOrEqual(1);
      expect(uptime).toBeGreaterThan(1);
    });
    // ...and each child's counter loop keeps running (polled: a loaded host slows guests).
    await Promise.all(
      children.map(async (c, i) => {
        const start = Number((first[i] ?? '').split('\n')[0]);
        const deadline = Date.now() + 20_000;
        let now = start;
        while (now <= start && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 300));
          now = Number(await sh(c.id, 'cat /run/counter'));
        }
        expect(now).toBeGreaterThan(start);
      }),
    );
  });

  it('keeps a RAM write in one child out of the frozen file and the siblings', async () => {
    const [a, b] = children;
    if (!a || !b) throw new Error('no children');
    const secret = `forkdesk-secret-${Date.now().toString(36)}-${process.pid}`;
    // Built inside the guest so the marker's bytes exist only where the child writes them.
    await sh(a.id, `s=${secret.replace('secret', 'se""cret')}; echo "$s" > /run/secret`);
    expect(await sh(a.id, 'cat /run/secret')).toBe(secret);
    expect(await sh(b.id, 'test -e /run/secret && echo yes || echo no')).toBe('no');
    const ram = readFileSync(env.engine.templateRecord(templateId)?.ramFile ?? '');
    expect(ram.indexOf(Buffer.from(secret))).toBe(-1);
  });

  it('keeps disk writes in the child own delta', async () => {
    const [a, b] = children;
    if (!a || !b) throw new Error('no children');
    const deltaA = env.engine.vmRecord(a.id)?.spec.disk ?? '';
    const before = (await imageInfo(env.cfg.qemuImgBinary, deltaA))['actual-size'];
    await sh(a.id, 'dd if=/dev/urandom of=/mnt/disk/own.bin bs=64k count=16 2>/dev/null && sync');
    expect(await sh(a.id, 'ls /mnt/disk')).toContain('own.bin');
    expect(await sh(b.id, 'test -e /mnt/disk/own.bin && echo yes || echo no')).toBe('no');
    expect(await sh(b.id, 'cat /mnt/disk/README')).toBe('Forkdesk tiny image disk');
    const after = await imageInfo(env.cfg.qemuImgBinary, deltaA);
    expect(after['actual-size']).toBeGreaterThan(before + 1024 * 1024 - 1);
    expect(after['backing-filename']).toBe(env.engine.templateRecord(templateId)?.overlay);
    const deltaB = env.engine.vmRecord(b.id)?.spec.disk ?? '';
    expect((await imageInfo(env.cfg.qemuImgBinary, deltaB))['actual-size']).toBeLessThan(
      before + 512 * 1024,
    );
  });

  it('personalizes through the real guest agent: clock, hostname, user disk', async () => {
    const c = children[2];
    if (!c) throw new Error('no child');
    await sh(c.id, 'date -s @1000000000 >/dev/null');
    const disk = join(env.cfg.dataDir, 'user-alice.qcow2');
    await env.engine.createUserDisk(disk, 32);
    await env.engine.personalize(c.id, {
      hostname: 'desk-alice',
      userName: 'alice',
      persistentDisk: disk,
    });
    expect(await sh(c.id, 'hostname')).toBe('desk-alice');
    expect(Math.abs(Number(await sh(c.id, 'date +%s')) - Date.now() / 1000)).toBeLessThan(5);
    expect(await sh(c.id, 'grep " /home/alice " /proc/mounts | cut -d" " -f1')).toMatch(
      /^\/dev\/vd[b-z]$/,
    );
    await sh(c.id, 'echo persisted > /home/alice/file && sync');
    expect(await sh(c.id, 'cat /home/alice/file')).toBe('persisted');
    expect(env.engine.getChild(c.id)?.memory?.privateMiB).toBeGreaterThan(1);
  });

  it('destroys children: process, dir and delta gone', async () => {
    const victims = children.splice(5);
    for (const c of victims) {
      const dir = env.engine.vmRecord(c.id)?.dir ?? '';
      await env.engine.destroy(c.id);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(`/proc/${c.pid}`)).toBe(false);
    }
    expect(env.engine.listChildren()).toHaveLength(5);
    await expect(env.engine.deleteTemplate(templateId)).rejects.toThrow(/still has 5/);
  });

  it('refuses to fork from a tampered template, leaving no child', async () => {
    const rec = env.engine.templateRecord(templateId);
    if (!rec) throw new Error('no template');
    const before = env.engine.listChildren().length;
    chmodSync(rec.stateFile, 0o644);
    appendFileSync(rec.stateFile, 'x');
    try {
      await expect(env.engine.fork(templateId, 1)).rejects.toThrow(
        /device state is \d+ bytes, recorded/,
      );
    } finally {
      truncateSync(rec.stateFile, rec.stateBytes);
      chmodSync(rec.stateFile, 0o444);
    }
    expect(env.engine.listChildren()).toHaveLength(before);
  });

  it('reports QEMU own error when it dies during a fork, leaving no half child', async () => {
    const rec = env.engine.templateRecord(templateId);
    if (!rec) throw new Error('no template');
    const before = env.engine.listChildren().length;
    // QEMU (dropped to the forkdesk user) cannot read its state: migrate-incoming fails.
    chmodSync(rec.stateFile, 0o400);
    try {
      await expect(env.engine.fork(templateId, 1)).rejects.toThrow(
        /Permission denied|Failed to open/,
      );
    } finally {
      chmodSync(rec.stateFile, 0o444);
    }
    expect(env.engine.listChildren()).toHaveLength(before);
    const [again] = await env.engine.fork(templateId, 1);
    expect(again?.state).toBe('running');
  });

  it('forks a running VM: it becomes child 0 of a new template, marker state carried over', async () => {
    const vm = await env.engine.boot({
      imageVersion: env.imageVersion,
      shape: { vcpus: 1, memoryMiB: 256 },
    });
    await sh(vm.id, 'echo from-parent > /run/marker');
    const counter = Number(await sh(vm.id, 'cat /run/counter'));
    const { template, children: kids } = await env.engine.forkRunning(vm.id, 3);
    expect(template.fullCopy).toBeUndefined();
    expect(kids[0]?.id).toBe(vm.id);
    for (const k of kids) {
      expect(await sh(k.id, 'cat /run/marker')).toBe('from-parent');
      expect(Number(await sh(k.id, 'cat /run/counter'))).toBeGreaterThanOrEqual(counter);
    }
    // Re-forking a child (private RAM) is a full copy, and labelled so.
    const again = await env.engine.forkRunning(kids[1]?.id ?? '', 2);
    expect(again.template.fullCopy).toBe(true);
    for (const k of again.children) expect(await sh(k.id, 'cat /run/marker')).toBe('from-parent');
  });
});
