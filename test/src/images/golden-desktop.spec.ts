// The golden desktop image end to end on real QEMU (TCG): build or reuse it, freeze a template
// with its desktop session running, fork three users' desktops, and check through the guest
// agent and the screen itself that each shows its own user's desktop, without a session start;
// a file in a user's persistent disk outlives that user's desktop.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { chromium } from 'playwright-core';
import { engineDisplayResolver } from '@forkdesk/hypervisor-agent';
import { startTestGateway } from '@forkdesk/hypervisor-agent/testing';
import { CHROMIUM } from '../support/chromium';
import { guacPage, openGuacPage, startGuacPageServer } from '../support/guac-page';
import { waitUntil } from '../support/stack';
import { labelRect, regionBytes, toPng } from '@forkdesk/infra/testing';
import {
  Desktop,
  forkDesktop,
  freezeGoldenTemplate,
  GoldenLab,
  openGoldenLab,
  screenOf,
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
    // Each has slirp's fixed address, route and DNS (a NAT pool's desktop reaches out through them).
    const net = await lab.engine.exec(made[0]!.id, {
      command: [
        'sh',
        '-c',
        'ip -4 -o address show eth0; ip route show default; cat /etc/resolv.conf',
      ],
    });
    expect(net.stdout).toMatch(/inet 10\.0\.2\.15\/24/);
    expect(net.stdout).toMatch(/^default via 10\.0\.2\.2 dev eth0/m);
    expect(net.stdout).toMatch(/^nameserver 10\.0\.2\.3$/m);
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

  it("shows bob's desktop in Chromium: the clipboard goes both ways, the desktop follows the browser's size", async () => {
    const d = desktops.get('bob');
    if (!d) throw new Error('no desktop for bob');
    const xclip = async (script: string): Promise<string> => {
      const r = await lab.engine.exec(d.id, {
        command: ['sh', '-c', `export DISPLAY=:0 XAUTHORITY=/run/forkdesk/x.auth; ${script}`],
      });
      return r.stdout;
    };
    const gw = await startTestGateway(new Map(), { resolver: engineDisplayResolver(lab.engine) });
    const pages = await startGuacPageServer(gw.port, gw.ticket);
    const profile = mkdtempSync(join(tmpdir(), 'forkdesk-chromium-'));
    const context = await chromium.launchPersistentContext(profile, CHROMIUM);
    try {
      const page = await context.newPage();
      await openGuacPage(page, pages, pages.token(d.id));

      // Browser → guest: guacamole-common-js clipboard stream → RFB cut text → qemu-vdagent →
      // the session's spice-vdagent → the X CLIPBOARD selection.
      const toGuest = 'from the browser: héllo ✓';
      await guacPage.sendClipboard(page, toGuest);
      await waitUntil(
        'the guest clipboard holds the browser text',
        async () => (await xclip('xclip -o -selection clipboard')) === toGuest,
        30_000,
        undefined,
        250,
      );

      // Guest → browser: a program in the session copies text; the page's onclipboard gets it.
      const toBrowser = 'from the guest: grüße';
      await xclip(`printf '%s' '${toBrowser}' | xclip -i -selection clipboard >/dev/null 2>&1`);
      await waitUntil(
        'the page received the guest clipboard',
        async () => (await guacPage.clipboardIn(page)).some((c) => c.text === toBrowser),
        30_000,
      );

      // The browser asks for another size; the guest (xrandr through the guest agent) follows.
      const before = await screenOf(lab, d.id);
      const [w, h] = before.width === 1024 ? [1280, 800] : [1024, 768];
      await guacPage.sendSize(page, w, h);
      await waitUntil(
        `the canvas is ${w}x${h}`,
        async () => {
          const px = await guacPage.pixels(page);
          return px.w === w && px.h === h;
        },
        30_000,
      );
      const after = await screenOf(lab, d.id);
      expect([after.width, after.height]).toEqual([w, h]);
      expect(await guacPage.error(page)).toBeUndefined();
    } finally {
      await context.close();
      await pages.stop();
      await gw.gateway.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it("starts the panel's programs as the user, in their home, though the session predates the user", async () => {
    const d = desktops.get('chen');
    if (!d) throw new Error('no desktop for chen');
    // The environment the frozen session hands to what it starts: the template account's.
    const r = await lab.engine.exec(d.id, {
      command: [
        'runuser',
        '-u',
        'chen',
        '--',
        'env',
        'HOME=/var/lib/forkdesk-session',
        'USER=desktop',
        'LOGNAME=desktop',
        '/usr/local/bin/forkdesk-launch',
        'sh',
        '-c',
        'echo "$HOME $USER $LOGNAME $(pwd) $(whoami)"',
      ],
    });
    expect(r.stdout.trim()).toBe('/home/chen chen chen /home/chen chen');
    // The session itself was not restarted by the hook: it started before the hook ran.
    const started = await lab.engine.exec(d.id, {
      command: ['sh', '-c', 'ps -o lstart= -C openbox; stat -c %y /run/forkdesk/assigned'],
    });
    const [wm = '', assigned = ''] = started.stdout.trim().split('\n');
    expect(new Date(wm).getTime()).toBeLessThan(new Date(assigned.slice(0, 19)).getTime());
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
