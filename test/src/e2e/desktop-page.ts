/**
 * What the desktop e2e test and the e2e bench share: Debian's Chromium, signing in on the
 * portal, reading the viewer's canvas, and a QMP screendump of the VM behind it to compare with.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM } from '../support/chromium';
import { connectQmp } from '@forkdesk/hypervisor-agent';
import { parsePpm, type RgbImage } from '@forkdesk/hypervisor-agent/testing';
import { ROOT, waitUntil, type Credentials, type Stack } from '../support/stack';

export interface Browser {
  ctx: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile, removed again by close(). */
export async function launchBrowser(): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'forkdesk-e2e-chromium-'));
  try {
    const ctx = await chromium.launchPersistentContext(profile, {
      ...CHROMIUM,
      viewport: { width: 1280, height: 800 },
    });
    return {
      ctx,
      close: async () => {
        await ctx.close().catch(() => undefined);
        fs.rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

export async function signIn(page: Page, baseUrl: string, c: Credentials): Promise<void> {
  await page.goto(`${baseUrl}/#/`);
  await page.getByLabel('Username').fill(c.username);
  await page.getByLabel('Password').fill(c.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'My desktops' }).waitFor();
}

/** The desktop id of the viewer page the portal navigated to. */
export function desktopIdOf(page: Page): string {
  const m = /#\/desktops?\/([0-9a-f-]{36})/.exec(page.url());
  if (!m) throw new Error(`not on a desktop page: ${page.url()}`);
  return m[1];
}

/**
 * The top-left w×h pixels of the display's default layer (the first canvas guacamole-common-js
 * puts in the viewer; its canvas is padded to multiples of 64 px), as RGB.
 */
export async function readCanvas(page: Page, width: number, height: number): Promise<RgbImage> {
  const rgba = await page.evaluate(
    ({ w, h }) => {
      const canvas = document.querySelector<HTMLCanvasElement>('.viewer-host canvas');
      const cx = canvas?.getContext('2d');
      if (!canvas || !cx || canvas.width < w || canvas.height < h) return '';
      const d = cx.getImageData(0, 0, w, h).data;
      let s = '';
      for (let i = 0; i < d.length; i += 32768)
        s += String.fromCharCode(...d.subarray(i, Math.min(i + 32768, d.length)));
      return btoa(s);
    },
    { w: width, h: height },
  );
  if (!rgba) return { width: 0, height: 0, rgb: Buffer.alloc(0) };
  const src = Buffer.from(rgba, 'base64');
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0, j = 0; i < src.length; i += 4, j += 3) {
    rgb[j] = src[i];
    rgb[j + 1] = src[i + 1];
    rgb[j + 2] = src[i + 2];
  }
  return { width, height, rgb };
}

/** QMP `screendump` of a running VM; its QMP socket is free once the child runs. */
export async function screendump(vmDir: string): Promise<RgbImage> {
  const qmp = await connectQmp(path.join(vmDir, 'qmp.sock'), { timeoutMs: 5000 });
  // QEMU (the forkdesk user) writes the file into its own directory.
  const file = path.join(vmDir, `e2e-screen-${process.pid}.ppm`);
  try {
    await qmp.execute('screendump', { filename: file });
    return parsePpm(fs.readFileSync(file));
  } finally {
    qmp.close();
    fs.rmSync(file, { force: true });
  }
}

const lit = (img: RgbImage, p: number): boolean =>
  img.rgb[p] + img.rgb[p + 1] + img.rgb[p + 2] > 96;

/** Pixels that are not (near) black, in rows y0..y1 (exclusive). */
export function litPixels(img: RgbImage, y0 = 0, y1 = img.height): number {
  let n = 0;
  for (let p = y0 * img.width * 3; p < y1 * img.width * 3; p += 3) if (lit(img, p)) n++;
  return n;
}

export interface Agreement {
  /** Lit pixels of the VM's screen. */
  vmLit: number;
  canvasLit: number;
  /** Fraction of pixels lit in either image that are lit in both: 1 means the same text. */
  agree: number;
}

/**
 * How well the canvas shows the VM's screen. A text console is mostly black, so counting all
 * pixels would call a blank canvas 97 % equal; only the lit (text) pixels are compared.
 */
export function agreement(canvas: RgbImage, vm: RgbImage): Agreement {
  if (canvas.width !== vm.width || canvas.height !== vm.height)
    return { vmLit: litPixels(vm), canvasLit: litPixels(canvas), agree: 0 };
  let both = 0;
  let either = 0;
  let vmLit = 0;
  let canvasLit = 0;
  for (let p = 0; p < vm.rgb.length; p += 3) {
    const a = lit(canvas, p);
    const b = lit(vm, p);
    if (a) canvasLit++;
    if (b) vmLit++;
    if (a || b) either++;
    if (a && b) both++;
  }
  return { vmLit, canvasLit, agree: either === 0 ? 0 : both / either };
}

/**
 * Waits until the canvas on `page` shows what the VM's screen shows, `minAgree` of the lit
 * pixels of either in the same places (a counter on the screen may tick in between).
 */
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

/** Saves a screenshot of `page` as .forkdesk/screenshots/<name>.png. */
export function screenshot(page: Page, name: string): Promise<Buffer> {
  const dir = path.join(ROOT, '.forkdesk', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return page.screenshot({ path: path.join(dir, `${name}.png`) });
}

/**
 * Starts a reader on the VM's VGA console (tty1), as a desktop's terminal would read keys: each
 * line it receives goes to `typedFile`, and with `echo` also back onto the screen.
 */
export async function startConsoleReader(
  stack: Stack,
  vmId: string,
  typedFile: string,
  echo: boolean,
): Promise<void> {
  const ready = '/run/e2e-reader-ready';
  const show = echo ? '; echo "typed: $line"' : '';
  const reader =
    `exec </dev/tty1 >/dev/tty1 2>&1; touch ${ready}; ` +
    `while read -r line; do echo "$line" > ${typedFile}${show}; done`;
  // In the background, so the exec returns at once.
  const started = await stack.guestExec(vmId, [
    '/bin/sh',
    '-c',
    `setsid /bin/sh -c '${reader}' </dev/null >/dev/null 2>&1 &`,
  ]);
  if (started.exitCode !== 0) throw new Error(`console reader did not start: ${started.stderr}`);
  await waitUntil(
    'the console reader runs',
    async () => (await stack.guestExec(vmId, ['/bin/sh', '-c', `test -e ${ready}`])).exitCode === 0,
    10_000,
  );
}

/**
 * Arms a probe in the page: the next click on "Open" or "Resume" stamps t0, then every animation frame
 * looks for a lit pixel in the viewer's canvas and stamps t1. Timed in the page's own clock.
 * A string, not a function: tsx would wrap named functions in a helper the page lacks.
 */
export const FRAME_PROBE = `(() => {
  const w = window;
  w.frameProbe = { t0: 0, t1: 0 };
  const look = () => {
    const c = document.querySelector('.viewer-host canvas');
    const cx = c && c.width > 0 ? c.getContext('2d', { willReadFrequently: true }) : null;
    if (cx) {
      const d = cx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 12) {
        if (d[i] + d[i + 1] + d[i + 2] > 96) {
          w.frameProbe.t1 = performance.now();
          return;
        }
      }
    }
    requestAnimationFrame(look);
  };
  const onClick = (e) => {
    const b = e.target.closest('button');
    if (!b || !/^(Open|Resume)$/.test(b.textContent.trim())) return;
    document.removeEventListener('click', onClick, true);
    w.frameProbe.t0 = performance.now();
    requestAnimationFrame(look);
  };
  document.addEventListener('click', onClick, true);
})()`;
