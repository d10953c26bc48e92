/**
 * The steps of an employee's journey on the golden desktop, in Chromium through the portal,
 * shared by the golden e2e test and the journey bench. Times are in the page's own clock.
 */
import type { Page } from 'playwright-core';
import { labelRect, regionBytes, type Image } from '@forkdesk/infra/testing';
import { waitUntil, type Stack } from '../support/stack';
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

/** The VM behind the desktop page the portal navigated to. */
export async function vmOf(stack: Stack, page: Page): Promise<{ id: string; vmId: string }> {
  await page.waitForURL(/#\/desktops?\/[0-9a-f-]{36}/, { timeout: USABLE_TIMEOUT_MS });
  const id = /#\/desktops?\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
  let vmId = '';
  await waitUntil(
    'the desktop is assigned',
    async () => {
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

/**
 * Click (already armed and made) → the canvas's panel shows the VM's panel, and the VM's panel is
 * no longer the template's. Returns the page time of that canvas read.
 */
export async function waitUsable(page: Page, vmDir: string, frozenLabel: Buffer): Promise<number> {
  const end = Date.now() + USABLE_TIMEOUT_MS;
  let vm: Image | undefined;
  let vmLabel: Buffer | undefined;
  let dumpedAt = 0;
  for (;;) {
    if (Date.now() > end) throw new Error(`not usable within ${USABLE_TIMEOUT_MS} ms`);
    // The VM's screen, again every 300 ms: its panel may still change after the first look.
    if (Date.now() - dumpedAt > 300) {
      vm = await screendump(vmDir);
      dumpedAt = Date.now();
      const l = panelLabel(vm);
      // Another label text changes hundreds of pixels; the VM's own frames are exact.
      vmLabel = differingPixels(l, frozenLabel) > 20 ? l : undefined;
    }
    if (vm && vmLabel) {
      const canvas = await canvasRegion(page, labelRect(vm));
      const at = await pageNow(page);
      if (canvas && differingPixels(canvas, vmLabel) <= vmLabel.length / 300) return at;
    }
    await sleep(30);
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
    if (Date.now() > end) throw new Error('no terminal window within 20 s');
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
  // xterm needs a moment to start its shell; keys typed meanwhile wait in its terminal.
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
    return false;
  }
  if (last !== TYPED) process.stderr.write(`journey: ${user} typed "${TYPED}", got "${last}"\n`);
  return last === TYPED;
}
