// The golden desktop image end to end on real QEMU (TCG): build or reuse it, freeze a template
// on its holding screen, fork three users' desktops, and check through the guest agent and the
// screen itself that each shows its own user's desktop; a file in a user's persistent disk
// outlives that user's desktop.
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { labelRect, regionBytes, toPng } from '../../../infra/src/images/golden/screen';
import {
  Desktop,
  forkDesktop,
  freezeGoldenTemplate,
  GoldenLab,
  openGoldenLab,
  sessionFacts,
} from '../support/golden-desktop';

// First run builds the image (~90 s) before the template boots (~40 s).
jest.setTimeout(600_000);

const USERS = [
  { user: 'alice', fullName: 'Alice Martin', hostname: 'desk-alice' },
  { user: 'bob', fullName: 'Bob Okafor', hostname: 'desk-bob' },
  { user: 'chen', fullName: 'Chen Wei', hostname: 'desk-chen' },
];
const screens = join(__dirname, '..', '..', '..', '.forkdesk', 'golden-it');

describe('golden desktop image', () => {
  let lab: GoldenLab;
  let templateId: string;
  let aliceDisk: string;
  const desktops = new Map<string, Desktop>();

  beforeAll(async () => {
    lab = await openGoldenLab('golden-it');
    templateId = (await freezeGoldenTemplate(lab)).templateId;
    aliceDisk = join(lab.dataDir, 'alice-home.qcow2');
    await lab.engine.createUserDisk(aliceDisk, 256);
    mkdirSync(screens, { recursive: true });
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('forks three children, each showing its own user desktop with its own name and hostname', async () => {
    // One at a time: three TCG guests starting sessions at once starve each other on 2 cores.
    const made: Desktop[] = [];
    for (const u of USERS)
      made.push(await forkDesktop(lab, templateId, u, u.user === 'alice' ? aliceDisk : undefined));
    made.forEach((d, i) => desktops.set(USERS[i]!.user, d));
    for (const [i, d] of made.entries()) {
      const u = USERS[i]!;
      writeFileSync(join(screens, `${u.user}.png`), toPng(d.screen));
      expect(d.hook).toMatchObject({
        hostname: u.hostname,
        user: u.user,
        home: `/home/${u.user}`,
        vmgenid: 'present',
      });
      const facts = await sessionFacts(lab, d.id);
      expect(facts).toEqual({
        hostname: u.hostname,
        sessionUser: u.user,
        fullName: u.fullName,
        label: `${u.fullName}  (${u.user}@${u.hostname})`,
      });
    }
    // Same template, same look, but each panel label shows different text.
    const labels = made.map((d) => regionBytes(d.screen, labelRect(d.screen)));
    expect(labels[0]!.equals(labels[1]!)).toBe(false);
    expect(labels[1]!.equals(labels[2]!)).toBe(false);
    expect(labels[0]!.equals(labels[2]!)).toBe(false);
    // Identity regenerated per child.
    const ids = await Promise.all(
      made.map(async (d) =>
        (await lab.engine.exec(d.id, { command: ['cat', '/etc/machine-id'] })).stdout.trim(),
      ),
    );
    expect(new Set(ids).size).toBe(3);
  });

  it("keeps a file written in alice's persistent disk across destroying and re-forking her desktop", async () => {
    const first = desktops.get('alice');
    if (!first) throw new Error('no desktop for alice');
    const mount = await lab.engine.exec(first.id, {
      command: ['findmnt', '-no', 'SOURCE', '/home/alice'],
    });
    expect(mount.stdout.trim()).toMatch(/^\/dev\/vd[b-z]$/);
    const write = await lab.engine.exec(first.id, {
      command: ['runuser', '-u', 'alice', '--', 'sh', '-c', 'echo "draft 1" > ~/notes.txt && sync'],
    });
    expect(write.exitCode).toBe(0);
    await lab.engine.destroy(first.id);

    const again = await forkDesktop(lab, templateId, USERS[0]!, aliceDisk);
    const read = await lab.engine.exec(again.id, {
      command: ['stat', '-c', '%U %n', '/home/alice/notes.txt'],
    });
    expect(read.stdout.trim()).toBe('alice /home/alice/notes.txt');
    const text = await lab.engine.exec(again.id, { command: ['cat', '/home/alice/notes.txt'] });
    expect(text.stdout).toBe('draft 1\n');
  });

  it('refuses to run the fork hook twice in one child', async () => {
    const d = desktops.get('bob');
    if (!d) throw new Error('no desktop for bob');
    const r = await lab.engine.exec(d.id, {
      command: ['/usr/local/sbin/forkdesk-fork-hook', '--hostname', 'x', '--user', 'mallory'],
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/already ran in this VM/);
  });
});
