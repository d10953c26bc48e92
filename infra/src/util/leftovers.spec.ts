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
});
