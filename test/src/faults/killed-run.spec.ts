/**
 * Acceptance (issue 24): a slice of the suite — a VM test, the NAT test and a stack test — is
 * killed half-way (SIGKILL of its whole process group: no teardown runs), under the same
 * watcher `npm test` uses. The check then names what the slice left (its QEMU processes,
 * namespaces, directories), the reaper removes it, and nothing it created is left.
 */
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { leftovers, type Seen } from '@forkdesk/infra';
import { ROOT, waitUntil } from '../support/stack';

jest.setTimeout(15 * 60_000);

const CLI = path.join(ROOT, 'infra/dist/cli.js');
const SLICE = [
  ['hypervisor-agent/jest.config.js', 'hypervisor-agent/src/fork/fork.int.spec.ts'],
  ['hypervisor-agent/jest.config.js', 'hypervisor-agent/src/network/nat.int.spec.ts'],
  ['test/jest.config.js', 'test/src/broker/desktop-access.spec.ts'],
];
const seenFile = path.join(
  '/var/tmp',
  `forkdesk-killed-run-${randomBytes(3).toString('hex')}.json`,
);

const read = (): Seen => JSON.parse(fs.readFileSync(seenFile, 'utf8')) as Seen;

const cli = (args: string[]): Promise<{ code: number | null; out: string }> =>
  new Promise((resolve) => {
    const p = spawn('node', [CLI, ...args], { cwd: ROOT });
    let out = '';
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => resolve({ code, out }));
  });

/** SIGKILL to the slice's whole process group (gone already is fine). */
const killGroup = (pid: number): void => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // every member exited
  }
};

afterAll(() => fs.rmSync(seenFile, { force: true }));

it('leaves nothing behind once the killed run is checked and reaped', async () => {
  const runId = `killed-${process.pid}`;
  const slice = spawn(
    'bash',
    ['-c', `${SLICE.map(([c, f]) => `npx jest -c ${c} ${f} >/dev/null 2>&1 &`).join(' ')} wait`],
    { cwd: ROOT, detached: true, env: { ...process.env, FORKDESK_TEST_RUN: runId } },
  );
  const watcher = spawn('node', [CLI, 'leftovers', 'watch', seenFile, String(slice.pid), runId], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  try {
    // Half-way: VMs of the slice run and the NAT test has made its namespaces.
    await waitUntil(
      'the slice runs VMs and a NAT namespace',
      async () => {
        if (!fs.existsSync(seenFile)) return false;
        const s = read();
        const qemu = Object.values(s.processes).filter((p) => p.cmd.startsWith('qemu-system'));
        return qemu.length >= 2 && Object.keys(s.namespaces).length > 0;
      },
      8 * 60_000,
    );
    killGroup(slice.pid!);
    await new Promise((r) => setTimeout(r, 2_000)); // one more sample of what survived
  } finally {
    killGroup(slice.pid!);
    watcher.kill('SIGTERM');
    await new Promise((r) => watcher.once('exit', r));
  }
  const left = leftovers(read());
  process.stdout.write(`killed slice left ${left.length} thing(s): ${left.join('; ')}\n`);
  expect(left.some((l) => /^process [0-9]+: qemu-system/.test(l))).toBe(true);

  const reaped = await cli(['leftovers', 'check', seenFile, '--reap']);
  expect(reaped.code).toBe(1); // it names them, and fails the run
  expect(reaped.out).toMatch(/removed process [0-9]+: qemu-system/);
  expect(reaped.out).toMatch(/removed network namespace /);
  const after = await cli(['leftovers', 'check', seenFile]);
  expect(after.out).toMatch(/no leftovers/);
  expect(after.code).toBe(0);
});
