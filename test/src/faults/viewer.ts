/** The portal's desktop viewer's phase in Chromium (fault tests). */
import type { Page } from 'playwright-core';
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
