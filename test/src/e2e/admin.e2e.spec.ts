/**
 * An admin's day in Debian's Chromium against a real stack (broker, agent, QEMU on TCG, tiny
 * image): import a new build of the image from a manifest and publish it on the Images page;
 * then, while the employee has a desktop open, shadow it from Sessions and see the VM's screen
 * in the read-only viewer, pixel for pixel its screendump — and nothing typed there reaches the VM;
 * last, give the pool a CPU limit on the Pools page, which the desktops forked after it get in
 * their cgroups. Screenshots: .forkdesk/screenshots/admin-*.png.
 *
 * Input: the portal's read-only viewer attaches no keyboard or mouse, so typing on the page
 * proves only the UI. The test also writes raw Guacamole `key`/`mouse` instructions into the
 * shadow's own WebSocket, so the gateway's view-only rule is what keeps them off the VM. A reader
 * on the VGA console (as in desktop.e2e.spec.ts) would make the guest echo any key that arrived.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { request, type APIRequestContext, type Page } from 'playwright-core';
import type { ChildInfo } from '@forkdesk/agent-contract';
import { cpuGroupOf, cpuLimitOf } from '@forkdesk/hypervisor-agent/testing';
import { buildTinyImage } from '@forkdesk/infra';
import { startStack, waitUntil, type Stack } from '../support/stack';
import {
  launchBrowser,
  litPixels,
  readCanvas,
  screendump,
  screenshot,
  signIn,
  startConsoleReader,
  viewerShowsVm,
  type Agreement,
  type Browser,
} from './desktop-page';

jest.setTimeout(120_000);

/** VGA text mode: 16 px per row; below the third row the tiny image's console is blank. */
const BELOW_COUNTER = 3 * 16;
const TYPED_FILE = '/run/e2e-shadow-typed';

let stack: Stack;
let browser: Browser;
let page: Page;
let employeeApi: APIRequestContext | undefined;
let vmId = '';
let v2Id = '';

const shot = (name: string): Promise<Buffer> => screenshot(page, `admin-${name}`);

/** The employee's own HTTP session on the broker (session and CSRF cookies, as the portal). */
async function employeeSession(): Promise<APIRequestContext> {
  const api = await request.newContext({ baseURL: stack.baseUrl });
  // Any answer hands out the CSRF cookie that the login must echo.
  await api.get('/health');
  const res = await api.post('/api/auth/login', {
    data: stack.employee,
    headers: await csrfHeader(api),
  });
  if (!res.ok()) throw new Error(`employee login: HTTP ${res.status()} ${await res.text()}`);
  return api;
}

async function csrfHeader(api: APIRequestContext): Promise<Record<string, string>> {
  const { cookies } = await api.storageState();
  const csrf = cookies.find((c) => c.name === 'forkdesk_csrf');
  return csrf ? { 'x-csrf-token': decodeURIComponent(csrf.value) } : {};
}

beforeAll(async () => {
  stack = await startStack({ label: 'admin-e2e', minSpare: 1, maxSize: 3 });
  await stack.waitForSpares(1, 60_000);
  browser = await launchBrowser();
  // Keeps the page's WebSockets reachable, so the test can speak Guacamole on the shadow's own.
  await browser.ctx.addInitScript(() => {
    const w = window as unknown as { __sockets: WebSocket[] };
    w.__sockets = [];
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        w.__sockets.push(this);
      }
    };
  });
  page = await browser.ctx.newPage();
});

afterAll(async () => {
  await employeeApi?.dispose().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

describe('an admin publishes a new image version and shadows a live desktop', () => {
  it('imports a second build of the image and publishes it from the Images page', async () => {
    const tiny = buildTinyImage();
    const original = JSON.parse(
      fs.readFileSync(path.join(path.dirname(tiny.disk), 'manifest.json'), 'utf8'),
    ) as Record<string, unknown>;
    // The same files under another build hash: to the broker, a new build.
    const manifestPath = path.join(stack.dataDir, 'manifest-v2.json');
    const hash = `e2e${randomBytes(16).toString('hex')}`;
    fs.writeFileSync(manifestPath, JSON.stringify({ ...original, hash }));

    await signIn(page, stack.baseUrl, stack.admin);
    await page.goto(`${stack.baseUrl}/#/admin/images`);
    const card = page.getByRole('article', { name: 'Tiny test image' });
    const row = (v: number) =>
      card.getByRole('row').filter({ has: page.getByRole('cell', { name: `v${v}`, exact: true }) });
    await row(1).waitFor();
    await card.getByLabel('Import a version from a manifest').fill(manifestPath);
    await card.getByRole('button', { name: 'Import' }).click();
    await row(2).getByText('ready', { exact: true }).waitFor();

    await row(2).getByRole('button', { name: 'Publish' }).click();
    await row(2)
      .getByRole('group', { name: 'Publish v2?' })
      .getByRole('button', { name: 'Yes' })
      .click();
    await row(2).getByText('published', { exact: true }).waitFor();
    await shot('images-published');
    // v2 is published and may now be retired; v1 stays published (a rollback target).
    expect(await row(2).getByRole('button', { name: 'Publish' }).count()).toBe(0);
    expect(await row(1).getByText('published', { exact: true }).count()).toBe(1);

    const [v2] = await stack.query<{ id: string; state: string; recipe_hash: string }>(
      `SELECT v.id, v.state, v.recipe_hash FROM image_versions v
         JOIN golden_images i ON i.id = v.image_id
        WHERE i.name = 'Tiny test image' AND v.version = 2`,
    );
    expect(v2).toMatchObject({ state: 'published', recipe_hash: hash });
    // The admin API names it the image's current version (the one pools follow).
    const res = await page.request.get(`${stack.baseUrl}/api/admin/images`);
    expect(res.ok()).toBe(true);
    const images = (await res.json()) as { name: string; currentVersionId: string | null }[];
    expect(images.find((i) => i.name === 'Tiny test image')?.currentVersionId).toBe(v2.id);
    const [audit] = await stack.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'image.version_publish' AND target_id = $1`,
      [v2.id],
    );
    expect(audit.n).toBe(1);
    v2Id = v2.id;

    // The pool follows the image: the agent builds a v2 template and a v2 spare replaces v1's.
    await waitUntil(
      'a ready spare of v2',
      async () => {
        const [n] = await stack.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM desktops
            WHERE pool_id = $1 AND image_version_id = $2 AND state = 'ready'`,
          [stack.poolId, v2.id],
        );
        return n.n > 0;
      },
      60_000,
      () => `${stack.agent.tail()}\n${stack.broker.tail()}`,
      250,
    );
  });

  it("shows the employee's desktop in the shadow viewer and keeps its input off the VM", async () => {
    employeeApi = await employeeSession();
    const opened = await employeeApi.post(`/api/my/pools/${stack.poolId}/open`, {
      headers: await csrfHeader(employeeApi),
    });
    expect(opened.status()).toBe(200);
    const desktopId = ((await opened.json()) as { desktop: { id: string } }).desktop.id;
    let version = '';
    await waitUntil(
      "the employee's desktop runs",
      async () => {
        const [d] = await stack.query<{
          state: string;
          vm_id: string | null;
          image_version_id: string;
        }>(`SELECT state, vm_id, image_version_id FROM desktops WHERE id = $1`, [desktopId]);
        vmId = d?.vm_id ?? '';
        version = d?.image_version_id ?? '';
        return d?.state === 'assigned' && vmId !== '';
      },
      30_000,
    );
    // Forked from the version just published.
    expect(version).toBe(v2Id);

    // A reader on the VGA console: it records any line the VM receives from the keyboard.
    await startConsoleReader(stack, vmId, TYPED_FILE, false);

    await page.goto(`${stack.baseUrl}/#/admin/sessions`);
    const session = page.getByRole('row').filter({ hasText: stack.employee.username });
    await session.waitFor();
    await shot('sessions');
    await session.getByRole('link', { name: 'Shadow' }).click();
    await page.waitForURL(new RegExp(`#/admin/sessions/${desktopId}/shadow`));
    const viewer = page.locator('.viewer-host[data-phase="connected"]');
    await viewer.waitFor({ timeout: 20_000 });
    await page.getByText('view only', { exact: true }).waitFor();

    const shadowMatchesVm = (): Promise<Agreement> =>
      viewerShowsVm(page, stack.vmDir(vmId), 20_000);
    expect((await shadowMatchesVm()).canvasLit).toBeGreaterThan(500);
    await shot('shadow');

    // Through the UI: type and click on the viewer.
    await viewer.click();
    await page.keyboard.type('shadow 1', { delay: 20 });
    await page.keyboard.press('Enter');
    // Around the UI: raw key presses (keysyms of "ab", Return) and a click on the shadow's socket.
    const sent = await page.evaluate(() => {
      const sockets = (window as unknown as { __sockets: WebSocket[] }).__sockets;
      const ws = sockets.filter((s) => s.readyState === WebSocket.OPEN).pop();
      if (!ws) return false;
      const arg = (v: string): string => `${v.length}.${v}`;
      const op = (...a: string[]): string => `${a.map(arg).join(',')};`;
      for (const k of ['97', '98', '65293']) {
        ws.send(op('key', k, '1'));
        ws.send(op('key', k, '0'));
      }
      ws.send(op('mouse', '100', '100', '1'));
      ws.send(op('mouse', '100', '100', '0'));
      return true;
    });
    expect(sent).toBe(true);

    // Give any keys time to be echoed; none are: the VM and the canvas stay blank below.
    await new Promise((r) => setTimeout(r, 2000));
    const typed = await stack.guestExec(vmId, ['/bin/sh', '-c', `test -e ${TYPED_FILE}`]);
    expect(typed.exitCode).not.toBe(0);
    const vm = await screendump(stack.vmDir(vmId));
    expect(litPixels(vm, BELOW_COUNTER)).toBe(0);
    expect(litPixels(await readCanvas(page, vm.width, vm.height), BELOW_COUNTER)).toBe(0);
    // The instructions were well formed: the gateway kept the shadow connected.
    await shadowMatchesVm();
    expect(await page.locator('.viewer-host').getAttribute('data-phase')).toBe('connected');
    await shot('shadow-after-input');

    const [s] = await stack.query<{ mode: string; username: string }>(
      `SELECT s.mode, u.username FROM desktop_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.desktop_id = $1 ORDER BY s.started_at DESC LIMIT 1`,
      [desktopId],
    );
    expect(s).toEqual({ mode: 'view', username: stack.admin.username });
  });

  it('gives the pool a CPU limit: desktops forked after it get it, the open one keeps none', async () => {
    const child = async (vm: string): Promise<ChildInfo> => {
      const res = await stack.agentCall('GET', `/v1/children/${vm}`);
      return JSON.parse(res.text) as ChildInfo;
    };
    await page.goto(`${stack.baseUrl}/#/admin/pools`);
    const [{ name }] = await stack.query<{ name: string }>(`SELECT name FROM pools WHERE id = $1`, [
      stack.poolId,
    ]);
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
    await row.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: `Edit pool ${name}` });
    await form.getByLabel('CPU limit per desktop (% of one core)').fill('40');
    // One more spare, so a desktop is forked after the change.
    await form.getByLabel('Spare desktops').fill('2');
    await shot('pool-cpu-limit');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await row.getByText('CPU ≤ 40%').waitFor();
    let spares: { vm_id: string }[] = [];
    await waitUntil(
      'two ready spares',
      async () => {
        spares = await stack.query<{ vm_id: string }>(
          `SELECT vm_id FROM desktops WHERE pool_id = $1 AND state = 'ready' AND vm_id IS NOT NULL
            ORDER BY created_at DESC`,
          [stack.poolId],
        );
        return spares.length === 2;
      },
      30_000,
      () => `${stack.agent.tail()}\n${stack.broker.tail()}`,
      250,
    );
    const fresh = await child(spares[0]?.vm_id ?? '');
    expect(fresh.cpuLimitPercent).toBe(40);
    expect(cpuLimitOf(cpuGroupOf(fresh.pid))).toBe(40);
    // Forked before the change: the older spare and the employee's desktop have no limit.
    for (const vm of [spares[1]?.vm_id ?? '', vmId]) {
      const c = await child(vm);
      expect(c.cpuLimitPercent).toBeUndefined();
      expect(cpuLimitOf(cpuGroupOf(c.pid))).toBeUndefined();
    }
  });
});
