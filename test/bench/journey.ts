/**
 * `npm run bench -- journey`: a new employee's first desktop on the golden image, as they feel
 * it: Debian's Chromium, the portal, the whole stack on TCG. Each sample signs in, clicks Open
 * (or Resume) and records from that click, in the page's own clock:
 *  - first frame: the first non-blank frame on the viewer's canvas;
 *  - usable: the canvas's panel shows what the VM's own screen (QMP screendump) shows, once the
 *    VM's panel no longer shows the template's label (the fork hook made it this user's);
 *  - terminal: a click on the panel's terminal launcher → its window drawn on the canvas;
 *  - typed: `echo Ab$((6*7))@#` and Enter typed in the page → that line in the shell's history
 *    (bash writes it as it runs; read through the guest agent).
 * Phases: new users one at a time (each with a ready spare), resumes of their desktops, then a
 * storm of new users clicking Open within a second while another user's portal calls the API.
 * A sample that fails or times out is counted, never dropped: it weighs as its timeout.
 */
import * as os from 'os';
import type { ChildInfo } from '@forkdesk/agent-contract';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createEmployees, signIn as apiSignIn, type Employee } from '../src/broker/employees';
import { FRAME_PROBE, screendump, signIn } from '../src/e2e/desktop-page';
import {
  openTerminal,
  panelLabel,
  STEP_TIMEOUT_MS,
  typeLine,
  USABLE_TIMEOUT_MS,
  waitUsable,
} from '../src/e2e/golden-journey';
import { benchMain } from '../src/support/bench-main';
import { percentile, writeReport, type Figure } from '../src/support/bench-report';
import { CHROMIUM } from '../src/support/chromium';
import {
  cpuSince,
  cpuSnapshot,
  releaseBrowsersCpu,
  yieldBrowsersCpu,
} from '../src/support/cpu-use';
import { startStack, type Stack } from '../src/support/stack';

const USERS = Number(process.env.FORKDESK_BENCH_USERS ?? 10);
const STORM = Number(process.env.FORKDESK_BENCH_STORM ?? 10);
const RESUMES = Math.min(5, USERS);
const IDLE_S = Number(process.env.FORKDESK_BENCH_IDLE_S ?? 60);
const API_TIMEOUT_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Sample {
  user: string;
  firstFrameMs?: number;
  usableMs?: number;
  terminalMs?: number;
  typedOk: boolean;
  usableAt?: number;
  vmId?: string;
  /** The page's API calls after the click: path, start and end in ms from the click. */
  calls?: [string, number, number][];
  error?: string;
}

/** Where the time between the click and the picture went, as the page's own API calls saw it. */
const API_CALLS = (t0: number): string => `performance.getEntriesByType('resource')
  .filter((e) => e.startTime >= ${t0} && e.name.includes('/api/'))
  .map((e) => [new URL(e.name).pathname.replace(/[0-9a-f-]{36}/g, ':id'),
    Math.round(e.startTime - ${t0}), Math.round(e.responseEnd - ${t0})])`;

interface Journey {
  stack: Stack;
  browser: Browser;
  frozenLabel: Buffer;
  height: number;
}

/** Signs `who` in on a fresh browser context and leaves the page on My desktops. */
async function newUserPage(j: Journey, who: Employee): Promise<Page> {
  const ctx = await j.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await signIn(page, j.stack.baseUrl, who);
  return page;
}

/** One click on Open/Resume and what follows it; `full` adds the terminal and typing steps. */
async function sample(j: Journey, page: Page, who: Employee, full: boolean): Promise<Sample> {
  const s: Sample = { user: who.username, typedOk: false };
  try {
    await page.evaluate(FRAME_PROBE);
    await page.evaluate('performance.clearResourceTimings()');
    await page.getByRole('button', { name: /^(Open|Resume)$/ }).click();
    const t0 = await page.evaluate<number>('frameProbe.t0');
    const { at: usableAt, vmId } = await waitUsable(page, j.stack, j.frozenLabel);
    s.vmId = vmId;
    s.usableMs = usableAt - t0;
    s.usableAt = Date.now();
    const t1 = await page.evaluate<number>('frameProbe.t1');
    if (t1 > 0) s.firstFrameMs = t1 - t0;
    s.calls = await page.evaluate<[string, number, number][]>(API_CALLS(t0));
    if (full) {
      s.terminalMs = await openTerminal(page, j.height);
      s.typedOk = await typeLine(j.stack, page, vmId, who.username);
    }
  } catch (err) {
    s.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
  process.stderr.write(`journey: ${JSON.stringify(s)}\n`);
  return s;
}

/** A user's portal calling the API every 200 ms until `done` settles; latencies in ms. */
async function apiLatencies(
  stack: Stack,
  who: Employee,
  done: Promise<unknown>,
): Promise<number[]> {
  const api = await apiSignIn(stack.baseUrl, who, API_TIMEOUT_MS);
  const out: number[] = [];
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    const t0 = performance.now();
    const r = await api.call('GET', '/api/my/pools').catch(() => undefined);
    out.push(r?.status === 200 ? performance.now() - t0 : API_TIMEOUT_MS);
    await sleep(200);
  }
  return out;
}

const usable = (ss: Sample[]): number[] => ss.map((s) => s.usableMs ?? USABLE_TIMEOUT_MS);
const ms = (value: number, target?: number): Figure => ({
  value: Math.round(value),
  unit: 'ms',
  better: 'lower',
  ...(target === undefined ? {} : { target }),
});

async function run(stack: Stack): Promise<void> {
  const users = await createEmployees(stack, USERS + STORM + 1, 'journey');
  const first = users.slice(0, USERS);
  const storm = users.slice(USERS, USERS + STORM);
  const watcher = users[USERS + STORM]!;
  await stack.waitForSpares(2, 900_000);
  const [spare] = await stack.query<{ vm_id: string }>(
    `SELECT vm_id FROM desktops WHERE pool_id = $1 AND state = 'ready' LIMIT 1`,
    [stack.poolId],
  );
  const frozen = await screendump(stack.vmDir(spare!.vm_id));
  const browser = await chromium.launch(CHROMIUM);
  // Users' browsers are their own machines: this one yields the server's CPU (the renderers of
  // new pages again before each sample).
  const browserCpu = yieldBrowsersCpu() ?? 'in a CPU group weighted as one desktop VM';
  const j: Journey = { stack, browser, frozenLabel: panelLabel(frozen), height: frozen.height };
  try {
    const pages = new Map<string, Page>();
    const firstOpens: Sample[] = [];
    const cpu: Record<string, Record<string, number>> = {};
    let cpu0 = cpuSnapshot();
    for (const who of first) {
      await stack.waitForSpares(2, 120_000);
      const page = await newUserPage(j, who);
      yieldBrowsersCpu();
      pages.set(who.username, page);
      firstOpens.push(await sample(j, page, who, true));
    }
    cpu.firstOpens = cpuSince(cpu0);
    const resumes: Sample[] = [];
    for (const who of first.slice(0, RESUMES)) {
      const page = pages.get(who.username)!;
      await page.goto(`${stack.baseUrl}/#/`);
      await page.getByRole('heading', { name: 'My desktops' }).waitFor();
      resumes.push(await sample(j, page, who, false));
    }
    await stack.waitForSpares(2, 120_000);
    const stormPages = await Promise.all(storm.map((who) => newUserPage(j, who)));
    yieldBrowsersCpu();
    cpu0 = cpuSnapshot();
    const stormRun = Promise.all(stormPages.map((p, i) => sample(j, p, storm[i]!, false)));
    const [stormed, api] = await Promise.all([stormRun, apiLatencies(stack, watcher, stormRun)]);
    cpu.storm = cpuSince(cpu0);
    process.stderr.write(`journey: CPU seconds during the storm: ${JSON.stringify(cpu.storm)}\n`);

    const idleFor =
      IDLE_S * 1000 - (Date.now() - Math.max(...firstOpens.map((s) => s.usableAt ?? 0)));
    if (idleFor > 0) await sleep(idleFor);
    // Only a single child's answer carries its memory (the list does not read /proc per VM).
    const priv: number[] = [];
    for (const s of firstOpens) {
      if (!s.vmId) continue;
      const res = await stack.agentCall('GET', `/v1/children/${s.vmId}`);
      const mib =
        res.status === 200 ? (JSON.parse(res.text) as ChildInfo).memory?.privateMiB : undefined;
      if (typeof mib === 'number') priv.push(mib);
    }
    const failed = [...firstOpens, ...resumes, ...stormed].filter((s) => s.error).length;
    const firstFrames = firstOpens.map((s) => s.firstFrameMs ?? USABLE_TIMEOUT_MS);
    const terminals = firstOpens.map((s) => s.terminalMs ?? STEP_TIMEOUT_MS);
    writeReport(
      'journey',
      {
        first_open_usable_p50_ms: ms(percentile(usable(firstOpens), 50), 1500),
        first_open_usable_p95_ms: ms(percentile(usable(firstOpens), 95), 3000),
        first_open_first_frame_p50_ms: ms(percentile(firstFrames, 50)),
        resume_usable_p50_ms: ms(percentile(usable(resumes), 50), 800),
        storm_usable_p95_ms: ms(percentile(usable(stormed), 95), 5000),
        storm_api_p99_ms: ms(percentile(api, 99), 300),
        terminal_window_p50_ms: ms(percentile(terminals, 50)),
        typed_text_correct: {
          value: firstOpens.filter((s) => s.typedOk).length / firstOpens.length,
          unit: 'share',
          target: 1,
          better: 'higher',
        },
        idle_desktop_private_mib: {
          value: priv.length ? Math.round(percentile(priv, 50)) : Number.NaN,
          unit: 'MiB',
          target: 64,
          better: 'lower',
        },
        failed_samples: { value: failed, unit: 'samples', target: 0, better: 'lower' },
      },
      {
        samples: {
          firstOpens: firstOpens.length,
          resumes: resumes.length,
          storm: stormed.length,
          apiCalls: api.length,
          privateMiB: priv.length,
        },
        firstOpenUsableMs: usable(firstOpens).map(Math.round),
        resumeUsableMs: usable(resumes).map(Math.round),
        stormUsableMs: usable(stormed).map(Math.round),
        errors: [...firstOpens, ...resumes, ...stormed].flatMap((s) =>
          s.error ? [`${s.user}: ${s.error}`] : [],
        ),
        privateMiBMax: priv.length ? Math.max(...priv) : null,
        // Where the host's CPU went (seconds, all cores; 'bench' is this process and its probes).
        cpuSeconds: cpu,
        image: 'golden (Debian desktop, 1024 MiB)',
        browser: `Debian's Chromium, ${browserCpu} (users' browsers run on their own machines)`,
        accel: process.env.FORKDESK_ACCEL ?? 'tcg',
        cpus: os.cpus().length,
        meaning:
          'usable: click → the canvas panel equals the VM screendump panel showing this user; ' +
          'a failed or timed-out sample counts as its timeout',
      },
    );
  } finally {
    await browser.close();
    releaseBrowsersCpu();
  }
}

async function main(): Promise<void> {
  const stack = await startStack({
    label: 'bench-journey',
    image: 'golden',
    minSpare: 2,
    maxSize: USERS + STORM + 4,
  });
  try {
    await run(stack);
  } finally {
    await stack.stop();
  }
}

benchMain('journey', main);
