import { spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { leftovers, reap, sample, type Seen } from './leftovers';

describe('leftovers of a test run', () => {
  it('names a process of the run still running and the directory it used, and reaps them', async () => {
    const dir = mkdtempSync('/var/tmp/forkdesk-leftovers-spec-');
    const child = spawn('sh', ['-c', `cd ${dir} && exec sleep 30`], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const seen: Seen = {
        rootPid: process.pid,
        runId: 'spec',
        startedAt: Date.now(),
        processes: {},
        namespaces: {},
        dirs: [],
      };
      sample(seen, () => false);
      expect(leftovers(seen)).toEqual([`process ${child.pid}: sleep 30`, `directory ${dir}`]);
      expect(await reap(seen)).toEqual([`process ${child.pid}: sleep 30`, `directory ${dir}`]);
      expect(leftovers(seen)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("counts an orphan with an empty environment as the run's when it names one of its directories", async () => {
    const dir = mkdtempSync('/var/tmp/forkdesk-leftovers-spec-');
    // Not a descendant (its shell parent exits at once) and no FORKDESK_TEST_RUN: only its
    // command line ties it to the run, as a VM's mem-path does.
    const shell = spawn('sh', ['-c', `sh -c 'sleep 30; : ${dir}/mem' & echo $!`], {
      env: {},
      detached: true,
    });
    const pid = await new Promise<string>((r) =>
      shell.stdout.once('data', (d: Buffer) => r(d.toString().trim())),
    );
    try {
      await new Promise((r) => shell.once('exit', r));
      const seen: Seen = {
        rootPid: -1,
        runId: 'spec',
        startedAt: Date.now(),
        processes: {},
        namespaces: {},
        dirs: [dir],
      };
      sample(seen, () => false);
      expect(leftovers(seen)).toEqual([
        `process ${pid}: sh -c sleep 30; : ${dir}/mem`,
        `directory ${dir}`,
      ]);
    } finally {
      process.kill(-shell.pid!, 'SIGKILL'); // the orphan and its sleep
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
