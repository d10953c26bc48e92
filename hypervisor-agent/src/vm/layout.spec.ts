import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { lookupUser, vmPaths } from './layout';

describe('vm layout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'layout-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a user in a passwd file, and says how to fix a missing one', () => {
    const passwd = join(dir, 'passwd');
    writeFileSync(
      passwd,
      'root:x:0:0::/root:/bin/sh\nforkdesk:x:999:995::/var/lib/forkdesk:/usr/sbin/nologin\n',
    );
    expect(lookupUser('forkdesk', passwd)).toEqual({ uid: 999, gid: 995 });
    expect(lookupUser('', passwd)).toBeUndefined();
    expect(() => lookupUser('nobody-here', passwd)).toThrow(/FORKDESK_RUN_AS/);
  });

  it('refuses socket paths longer than sun_path allows', () => {
    expect(vmPaths('/var/lib/forkdesk/vms/c-1').qmpSocket).toBe(
      '/var/lib/forkdesk/vms/c-1/qmp.sock',
    );
    expect(() => vmPaths(`/${'d'.repeat(120)}`)).toThrow(/too long/);
  });
});
