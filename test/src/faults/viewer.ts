/** The portal's desktop viewer in Chromium, checked against the VM's own screen (fault tests). */
import type { Page } from 'playwright-core';
import { agreement, readCanvas, screendump, type Agreement } from '../e2e/desktop-page';
import { waitUntil } from '../support/stack';

export async function viewerPhase(page: Page): Promise<string | null> {
  return page.locator('.viewer-host').getAttribute('data-phase', { timeout: 2000 });
}

export async function waitForPhase(
  page: Page,
  ok: (phase: string | null) => boolean,
  what: string,
  timeoutMs: number,
): Promise<string | null> {
  let last: string | null = null;
  await waitUntil(
    `the viewer is ${what} (last phase: ${String(last)})`,
    async () => ok((last = await viewerPhase(page))),
    timeoutMs,
    () => `phase ${String(last)}`,
    100,
  );
  return last;
}

/** Waits until the canvas shows what the VM's screen shows (lit text pixels in the same places). */
export async function viewerShowsVm(
  page: Page,
  vmDir: string,
  timeoutMs: number,
  minAgree = 0.97,
): Promise<Agreement> {
  let last: Agreement = { vmLit: 0, canvasLit: 0, agree: 0 };
  await waitUntil(
    "the canvas shows the VM's screen",
    async () => {
      const vm = await screendump(vmDir);
      last = agreement(await readCanvas(page, vm.width, vm.height), vm);
      return last.vmLit > 500 && last.agree >= minAgree;
    },
    timeoutMs,
    () => `last: ${JSON.stringify(last)}`,
    250,
  );
  return last;
}
