/**
 * The steps of an employee's journey on the golden desktop, in Chromium through the portal,
 * shared by the golden e2e test and the journey bench. Times are in the page's own clock.
 */
import type { Page } from 'playwright-core';
import { labelRect, regionBytes, type Image } from '@forkdesk/infra/testing';
import * as path from 'path';
import { ROOT, waitUntil, type Stack } from '../support/stack';
import {
  canvasClickPoint,
  canvasLightPixels,
  canvasRegion,
  differingPixels,
} from './canvas-region';
import { screendump } from './desktop-page';

export const USABLE_TIMEOUT_MS = 60_000;
export const STEP_TIMEOUT_MS = 20_000;
/** Typed by keysym: Shift-needing characters included. */
export const TYPED = 'echo Ab$((6*7))@#';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const pageNow = (page: Page): Promise<number> => page.evaluate('performance.now()');

/** The panel's pixels without the clock: what tells one user's desktop from another's. */
export const panelLabel = (img: Image): Buffer => regionBytes(img, labelRect(img));

/**
 * The VM behind the desktop page the portal shows: the page's URL is read again while waiting,
 * since the portal moves to another desktop when a first one could not be prepared.
 */
export async function vmOf(stack: Stack, page: Page): Promise<{ id: string; vmId: string }> {
  await page.waitForURL(DESKTOP_URL, { timeout: USABLE_TIMEOUT_MS });
  let id = '';
  let vmId = '';
  await waitUntil(
    'the desktop is assigned',
    async () => {
      id = DESKTOP_URL.exec(page.url())?.[1] ?? '';
      const [d] = await stack.query<{ vm_id: string | null; state: string }>(
        `SELECT vm_id, state FROM desktops WHERE id = $1`,
        [id],
      );
      vmId = d?.vm_id ?? '';
      return !!vmId && (d?.state === 'assigned' || d?.state === 'in_use');
    },
    USABLE_TIMEOUT_MS,
  );
  return { id, vmId };
}
const DESKTOP_URL = /#\/desktops?\/([0-9a-f-]{36})/;

/**
 * Click (already armed and made) → the canvas's panel shows the VM's panel, and the VM's panel is
 * no longer the template's. Follows the page to another desktop when the first one was
 * discarded (its VM gone). Returns the page time of that
 * canvas read and the VM shown.
 */
export async function waitUsable(
  page: Page,
  stack: Stack,
  frozenLabel: Buffer,
): Promise<{ at: number; vmId: string }> {
  const end = Date.now() + USABLE_TIMEOUT_MS;
  for (;;) {
    const { vmId } = await vmOf(stack, page);
    try {
      return { at: await waitPanel(page, stack.vmDir(vmId), frozenLabel, end), vmId };
    } catch (err) {
      const gone = /ENOENT|ECONNRESET|ECONNREFUSED/.test(String(err));
      if (!gone || Date.now() > end) throw err;
      await sleep(200);
    }
  }
}

const OVERLAID = "!!document.querySelector('.viewer-overlay')";

async function waitPanel(
  page: Page,
  vmDir: string,
  frozenLabel: Buffer,
  end: number,
): Promise<number> {
  let vm: Image | undefined;
  let vmLabel: Buffer | undefined;
  let dumpedAt = 0;
  for (;;) {
    if (Date.now() > end) throw new Error(`not usable within ${USABLE_TIMEOUT_MS} ms`);
    // The VM's screen, again every 300 ms until it shows the user, then every second (its panel
    // may still change after the first look): a storm's samples must not load the host.
    if (Date.now() - dumpedAt > (vmLabel ? 1000 : 300)) {
      vm = await screendump(vmDir);
      dumpedAt = Date.now();
      const l = panelLabel(vm);
      // Another label text changes hundreds of pixels; the VM's own frames are exact.
      vmLabel = differingPixels(l, frozenLabel) > 20 ? l : undefined;
    }
    // Seen by the person, not only drawn on the canvas: the viewer's progress overlay is gone.
    if (vm && vmLabel && !(await page.evaluate<boolean>(OVERLAID))) {
      const canvas = await canvasRegion(page, labelRect(vm));
      const at = await pageNow(page);
      if (canvas && differingPixels(canvas, vmLabel) <= vmLabel.length / 300) return at;
    }
    await sleep(50);
  }
}

/** The terminal launcher (first panel icon) clicked → a light window of xterm's size drawn. */
export async function openTerminal(page: Page, height: number): Promise<number> {
  const before = await canvasLightPixels(page, height - 32);
  const p = await canvasClickPoint(page, 17, height - 16);
  const t0 = await pageNow(page);
  await page.mouse.click(p.x, p.y);
  const end = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    if ((await canvasLightPixels(page, height - 32)) > before + 40_000)
      return (await pageNow(page)) - t0;
    if (Date.now() > end) {
      const shot = path.join(
        ROOT,
        '.forkdesk',
        'screenshots',
        `journey-no-terminal-${Date.now()}.png`,
      );
      await page.screenshot({ path: shot }).catch(() => undefined);
      throw new Error(`no terminal window within 20 s (${shot})`);
    }
    await sleep(30);
  }
}

/** Types the line; true when the user's shell history ends with exactly that line. */
export async function typeLine(
  stack: Stack,
  page: Page,
  vmId: string,
  user: string,
): Promise<boolean> {
  // As a person does: type once the terminal's shell waits at its prompt (its wchan is a
  // terminal read), not while xterm is still starting it.
  await waitUntil(
    "the terminal's shell at its prompt",
    async () => {
      const r = await stack.guestExec(vmId, [
        'sh',
        '-c',
        `for p in $(pgrep -u ${user} -x bash); do cat /proc/$p/wchan; echo; done`,
      ]);
      return /wait_woken|n_tty_read|do_select|poll_schedule/.test(r.stdout);
    },
    STEP_TIMEOUT_MS,
    undefined,
    250,
  ).catch(() => process.stderr.write(`journey: ${user}'s shell never reached its prompt\n`));
  await page.locator('.viewer-host').focus();
  await page.keyboard.type(TYPED, { delay: 30 });
  await page.keyboard.press('Enter');
  let last = '';
  try {
    await waitUntil(
      'the typed line in the history',
      async () => {
        const r = await stack.guestExec(vmId, ['cat', `/home/${user}/.bash_history`]);
        last = r.stdout.trim().split('\n').pop() ?? '';
        return last !== '';
      },
      STEP_TIMEOUT_MS,
      undefined,
      250,
    );
  } catch {
    await explainLostLine(stack, page, vmId, user);
    return false;
  }
  if (last !== TYPED) process.stderr.write(`journey: ${user} typed "${TYPED}", got "${last}"\n`);
  return last === TYPED;
}

/** What the guest's terminal and shell were doing when a typed line never reached the history. */
async function explainLostLine(
  stack: Stack,
  page: Page,
  vmId: string,
  user: string,
): Promise<void> {
  const shot = path.join(ROOT, '.forkdesk', 'screenshots', `journey-lost-line-${user}.png`);
  await page.screenshot({ path: shot }).catch(() => undefined);
  const ps = await stack
    .guestExec(vmId, [
      'sh',
      '-c',
      `ps -eo pid,ppid,user,stat,etime,wchan:20,args | grep -E 'xterm|bash|openbox' | grep -v grep; ls -la /home/${user}`,
    ])
    .then((r) => r.stdout.trim())
    .catch((err: unknown) => String(err));
  process.stderr.write(`journey: ${user}'s typed line is not in the history (${shot}):\n${ps}\n`);
}
