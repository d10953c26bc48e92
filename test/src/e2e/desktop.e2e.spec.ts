/**
 * The path of one login, end to end, as an employee in Debian's Chromium: sign in on the portal,
 * open a desktop from "My desktops", see the forked VM's screen in the viewer's canvas (pixel for
 * pixel the VM's own screendump), type on it, log off; the desktop is destroyed and the pool
 * refills to its two spares. Real broker, agent, QEMU (tiny image, TCG), guacamole-lite, gateway.
 * Screenshots: .forkdesk/screenshots/e2e-*.png.
 *
 * Typing: the tiny image's console has no shell reading the keyboard (nothing echoes keys), so the
 * test first opens a reader on the console (/dev/tty1) through the guest agent — as a desktop's
 * terminal would — and then types on the page: the guest kernel echoes the keys on the VGA
 * console, the reader gets the exact line, and the canvas shows the new lines like the VM does.
 */
import * as fs from 'fs';
import type { Page } from 'playwright-core';
import { startStack, waitUntil, type Stack } from '../support/stack';
import {
  desktopIdOf,
  launchBrowser,
  litPixels,
  readCanvas,
  screendump,
  screenshot,
  signIn,
  startConsoleReader,
  viewerShowsVm,
  type Browser,
} from './desktop-page';

jest.setTimeout(150_000);

/** VGA text mode: 16 px per row; the counter line is the third row (SeaBIOS wrote two above). */
const ROW_PX = 16;
const BELOW_COUNTER = 3 * ROW_PX;
/** Typed by keysym (as playwright, on-screen and mobile keyboards do): shifted characters included. */
const TYPED = 'hello Forkdesk 42 echo Ab$((6*7))@# ~!%^&_+{}|:"<>?';

let stack: Stack;
let browser: Browser;
let page: Page;
let desktopId = '';
let vmId = '';

const shot = (name: string): Promise<Buffer> => screenshot(page, `e2e-${name}`);

/** True while a process's command line names the VM (QEMU runs as `-name <id>,...`). */
function qemuRunning(id: string): boolean {
  return fs.readdirSync('/proc').some((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(id);
    } catch {
      return false; // exited meanwhile
    }
  });
}

beforeAll(async () => {
  stack = await startStack({ label: 'desktop-e2e', minSpare: 2 });
  await stack.waitForSpares(2, 60_000);
  browser = await launchBrowser();
  page = await browser.ctx.newPage();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('an employee opens, uses and logs off a forked desktop', () => {
  it('signs in, opens a spare and sees the VM screen drawn in the canvas', async () => {
    await signIn(page, stack.baseUrl, stack.employee);
    await page.getByRole('heading', { name: 'Standard desktop' }).waitFor();
    await shot('my-desktops');

    const t0 = Date.now();
    await page.getByRole('button', { name: 'Open' }).click();
    await page.waitForURL(/#\/desktop\//);
    desktopId = desktopIdOf(page);
    await page.locator('.viewer-host[data-phase="connected"]').waitFor({ timeout: 20_000 });
    const [d] = await stack.query<{ state: string; vm_id: string; username: string }>(
      `SELECT d.state, d.vm_id, u.username FROM desktops d JOIN users u ON u.id = d.assigned_user_id
        WHERE d.id = $1`,
      [desktopId],
    );
    expect(d.username).toBe(stack.employee.username);
    expect(['assigned', 'in_use']).toContain(d.state);
    vmId = d.vm_id;
    expect(qemuRunning(vmId)).toBe(true);

    const match = await viewerShowsVm(page, stack.vmDir(vmId), 20_000);
    const openMs = Date.now() - t0;
    await shot('desktop');
    // Lit text pixels, drawn in the same places as on the VM's screen.
    expect(match.canvasLit).toBeGreaterThan(500);
    expect(match.agree).toBeGreaterThanOrEqual(0.97);
    expect(openMs).toBeLessThan(20_000);
    // Taking a spare makes the reconciler fork a new one: 2 spares again, 3 desktops live.
    await stack.waitForSpares(2, 30_000);
  });

  it('types on the page and the keys reach the VM and show on its screen', async () => {
    await startConsoleReader(stack, vmId, '/run/e2e-typed', true);

    const vm = await screendump(stack.vmDir(vmId));
    const before = await readCanvas(page, vm.width, vm.height);
    // Below the counter line the console is blank until something is typed.
    expect(litPixels(before, BELOW_COUNTER)).toBe(0);
    expect(litPixels(vm, BELOW_COUNTER)).toBe(0);

    await page.locator('.viewer-host').focus();
    await page.keyboard.type(TYPED, { delay: 30 });
    await page.keyboard.press('Enter');

    let typed = '';
    await waitUntil(
      'the guest read the typed line',
      async () => {
        const r = await stack.guestExec(vmId, ['/bin/sh', '-c', 'cat /run/e2e-typed']);
        typed = r.stdout.trim();
        return r.exitCode === 0 && typed.length > 0;
      },
      10_000,
    );
    expect(typed).toBe(TYPED);
    await waitUntil(
      'the typed lines appear in the canvas',
      async () => {
        const c = await readCanvas(page, vm.width, vm.height);
        return litPixels(c, BELOW_COUNTER) > 200;
      },
      10_000,
    );
    const match = await viewerShowsVm(page, stack.vmDir(vmId), 15_000);
    expect(match.agree).toBeGreaterThanOrEqual(0.97);
    await shot('typed');
  });

  it('logs off: the desktop is destroyed and the pool refills to two spares', async () => {
    const toolbar = page.getByRole('toolbar', { name: 'Desktop' });
    await toolbar.getByRole('button', { name: 'Log off' }).click();
    await toolbar.getByRole('button', { name: 'Yes' }).click();
    await page.getByRole('heading', { name: 'My desktops' }).waitFor();
    await shot('logged-off');

    await waitUntil(
      'the desktop is destroyed',
      async () => {
        const [d] = await stack.query<{ state: string }>(
          `SELECT state FROM desktops WHERE id = $1`,
          [desktopId],
        );
        return d.state === 'destroyed';
      },
      20_000,
    );
    expect(fs.existsSync(stack.vmDir(vmId))).toBe(false);
    expect(qemuRunning(vmId)).toBe(false);
    await stack.waitForSpares(2, 30_000);
    // Back on "My desktops", the list held a fresh spare for the employee again: 2 free + 1 held.
    let live = { free: 0, held: 0, n: 0 };
    await waitUntil(
      'two free spares and one held for the employee',
      async () => {
        [live] = await stack.query<typeof live>(
          `SELECT count(*) FILTER (WHERE state = 'ready' AND reserved_user_id IS NULL)::int AS free,
                  count(*) FILTER (WHERE state = 'ready' AND reserved_user_id IS NOT NULL)::int AS held,
                  count(*)::int AS n
             FROM desktops WHERE state NOT IN ('destroyed', 'lost')`,
        );
        return live.free === 2 && live.held === 1 && live.n === 3;
      },
      30_000,
      () => JSON.stringify(live),
    );
    await page.getByRole('button', { name: 'Open' }).waitFor();
  });
});
