import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CHECKOUT_FILE, findOrphans } from './orphans';

describe('orphans', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fd-orphans-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names the service dirs of deleted checkouts and their processes, nothing else', () => {
    const base = join(root, 'srv');
    const proc = join(root, 'proc');
    const living = join(root, 'living');
    mkdirSync(living);
    writeFileSync(join(living, 'package.json'), '{}');
    for (const [key, checkout] of [
      ['aaa', living],
      ['bbb', join(root, 'deleted')],
    ]) {
      mkdirSync(join(base, key), { recursive: true });
      writeFileSync(join(base, key, CHECKOUT_FILE), `${checkout}\n`);
    }
    mkdirSync(join(base, 'homes')); // not a checkout's dir
    const qemu = (pid: number, dir: string) => {
      mkdirSync(join(proc, String(pid)), { recursive: true });
      writeFileSync(
        join(proc, String(pid), 'cmdline'),
        ['qemu-system-x86_64', '-qmp', `unix:${dir}/agent/vms/x/qmp.sock`].join('\0'),
      );
    };
    qemu(101, join(base, 'aaa'));
    qemu(202, join(base, 'bbb'));
    expect(findOrphans(base, proc)).toEqual([
      { serviceDir: join(base, 'bbb'), checkout: join(root, 'deleted'), pids: [202] },
    ]);
  });
});
