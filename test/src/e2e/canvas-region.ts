/**
 * Reading the portal viewer's canvas for the journey bench: a region's pixels, the light pixels
 * of the desktop area (counted in the page), and where a display pixel is on the page.
 */
import type { Page } from 'playwright-core';
import type { Rect } from '@forkdesk/infra/testing';

/** The region of the display's default layer as RGB, or undefined while the canvas is smaller. */
export async function canvasRegion(page: Page, r: Rect): Promise<Buffer | undefined> {
  const b64 = await page.evaluate((rect) => {
    const c = document.querySelector<HTMLCanvasElement>('.viewer-host canvas');
    const cx = c?.getContext('2d', { willReadFrequently: true });
    if (!c || !cx || c.width < rect.x + rect.w || c.height < rect.y + rect.h) return '';
    const d = cx.getImageData(rect.x, rect.y, rect.w, rect.h).data;
    let s = '';
    for (let i = 0; i < d.length; i += 4) s += String.fromCharCode(d[i], d[i + 1], d[i + 2]);
    return btoa(s);
  }, r);
  return b64 ? Buffer.from(b64, 'base64') : undefined;
}

/** Near-white pixels in the canvas rows above `y1`, every second pixel counted twice. */
export async function canvasLightPixels(page: Page, y1: number): Promise<number> {
  return page.evaluate((rows) => {
    const c = document.querySelector<HTMLCanvasElement>('.viewer-host canvas');
    const cx = c?.getContext('2d', { willReadFrequently: true });
    if (!c || !cx || c.height < rows) return 0;
    const d = cx.getImageData(0, 0, c.width, rows).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 8)
      if (d[i] > 220 && d[i + 1] > 220 && d[i + 2] > 220) n += 2;
    return n;
  }, y1);
}

/** Where display pixel (x, y) is on the page (the viewer scales the display to fit). */
export async function canvasClickPoint(
  page: Page,
  x: number,
  y: number,
): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ({ px, py }) => {
      const c = document.querySelector<HTMLCanvasElement>('.viewer-host canvas');
      if (!c) throw new Error('no viewer canvas');
      const b = c.getBoundingClientRect();
      const scale = b.width / c.width;
      return { x: b.left + px * scale, y: b.top + py * scale };
    },
    { px: x, py: y },
  );
}

/**
 * Pixels (RGB triples) of two equally sized buffers that differ by more than `tolerance` in some
 * channel; every pixel when their sizes differ. Text is drawn losslessly (PNG), so 0 is equal.
 */
export function differingPixels(a: Buffer, b: Buffer, tolerance = 48): number {
  if (a.length !== b.length) return Math.max(a.length, b.length) / 3;
  let n = 0;
  for (let i = 0; i + 2 < a.length; i += 3) {
    if (
      Math.abs((a[i] as number) - (b[i] as number)) > tolerance ||
      Math.abs((a[i + 1] as number) - (b[i + 1] as number)) > tolerance ||
      Math.abs((a[i + 2] as number) - (b[i + 2] as number)) > tolerance
    )
      n++;
  }
  return n;
}
