/**
 * The portal in Debian's Chromium against a real broker (node broker/dist/main.js) on a real
 * PostgreSQL database of its own: an admin creates an image and a pool and entitles a group,
 * an employee of that group sees the pool, changes her password and signs in again.
 * Screenshots of each main page go to .forkdesk/screenshots/.
 *
 * Needs: DATABASE_URL (set by `npm test`), broker/dist and web-portal/dist built.
 * FORKDESK_BROKER_MAIN may point at another broker build.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Group, hashPassword, Membership, User, UserRole } from '@forkdesk/db';
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import { freePort } from '@forkdesk/infra';
import { CHROMIUM } from '../support/chromium';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SHOTS = path.join(ROOT, '.forkdesk', 'screenshots');
const BROKER_MAIN =
  process.env.FORKDESK_BROKER_MAIN ?? path.join(ROOT, 'broker', 'dist', 'main.js');
const PORTAL_DIR = path.join(ROOT, 'web-portal', 'dist');
const ADMIN = { username: 'e2e-admin', password: 'admin-pass-1234' };
const ANN = { username: 'ann', password: 'ann-pass-1234', next: 'ann-new-pass-5678' };

let db: TestDatabase;
let broker: ChildProcess | undefined;
let brokerLog = '';
let base = '';
let ctx: BrowserContext;
let profile = '';

async function waitHealthy(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (broker?.exitCode !== null && broker?.exitCode !== undefined)
      throw new Error(`the broker exited (${broker.exitCode}):\n${brokerLog.slice(-3000)}`);
    try {
      // No keep-alive: an idle pooled socket would keep jest from exiting.
      const res = await fetch(`${url}/health`, { headers: { connection: 'close' } });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the broker did not answer /health within ${ms} ms:\n${brokerLog.slice(-3000)}`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `portal-${name}.png`), fullPage: true });
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${base}/#/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

beforeAll(async () => {
  for (const [what, file] of [
    ['the broker (npx nx run broker:build)', BROKER_MAIN],
    ['the portal (npx nx run web-portal:build)', path.join(PORTAL_DIR, 'index.html')],
  ]) {
    if (!fs.existsSync(file)) throw new Error(`build ${what} first: ${file} is missing`);
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  db = await createTestDatabase('portal');
  const users = db.dataSource.getRepository(User);
  await users.save(
    users.create({
      username: ADMIN.username,
      displayName: 'E2E Admin',
      role: UserRole.Admin,
      passwordHash: await hashPassword(ADMIN.password),
    }),
  );
  const ann = await users.save(
    users.create({
      username: ANN.username,
      displayName: 'Ann Example',
      role: UserRole.User,
      passwordHash: await hashPassword(ANN.password),
    }),
  );
  const group = await db.dataSource
    .getRepository(Group)
    .save({ name: 'engineering', description: '' });
  await db.dataSource.getRepository(Membership).save({ userId: ann.id, groupId: group.id });

  const port = await freePort(18600);
  base = `http://127.0.0.1:${port}`;
  broker = spawn(process.execPath, [BROKER_MAIN], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      FORKDESK_BROKER_HOST: '127.0.0.1',
      FORKDESK_BROKER_PORT: String(port),
      FORKDESK_PORTAL_DIR: PORTAL_DIR,
      FORKDESK_TUNNEL_KEY: randomBytes(32).toString('base64'),
      FORKDESK_SCHEDULER: 'false',
      FORKDESK_LOG_LEVEL: 'warn',
    },
  });
  const keep = (b: Buffer): void => {
    brokerLog = (brokerLog + b.toString()).slice(-20_000);
  };
  broker.stdout?.on('data', keep);
  broker.stderr?.on('data', keep);
  await waitHealthy(base, 30_000);

  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'forkdesk-portal-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    ...CHROMIUM,
    viewport: { width: 1280, height: 800 },
  });
});

afterAll(async () => {
  await ctx?.close().catch(() => undefined);
  if (broker && broker.exitCode === null) {
    const exited = new Promise((r) => broker?.once('exit', r));
    broker.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (broker.exitCode === null) broker.kill('SIGKILL');
  }
  broker?.stdout?.destroy();
  broker?.stderr?.destroy();
  await db?.drop().catch(() => undefined);
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

describe('portal against a real broker', () => {
  it('refuses a wrong password with a readable message', async () => {
    const page = await ctx.newPage();
    await page.goto(`${base}/#/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(page, 'login');
    await page.getByLabel('Username').fill(ANN.username);
    await page.getByLabel('Password').fill('not-her-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect((await alert.textContent())?.length).toBeGreaterThan(5);
    await page.close();
  });

  it('lets an admin create an image and a pool, entitle a group, and see every admin page', async () => {
    const page = await ctx.newPage();
    await signIn(page, ADMIN.username, ADMIN.password);

    await page.goto(`${base}/#/admin/images`);
    await page.getByRole('heading', { name: 'New golden image' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('e2e-desktop');
    await page.getByLabel('Description').fill('made by the portal test');
    await page.getByRole('button', { name: 'Create image' }).click();
    await page.getByRole('heading', { name: 'e2e-desktop' }).waitFor();
    await shot(page, 'admin-images');

    await page.goto(`${base}/#/admin/pools`);
    await page.getByRole('button', { name: 'New pool' }).click();
    const form = page.getByRole('form', { name: 'New pool' });
    // A bad value is caught on its field, linked by aria-describedby.
    await form.getByLabel('Name').fill('e2e/pool');
    await form.getByRole('button', { name: 'Create pool' }).click();
    const nameInput = form.getByLabel('Name');
    expect(await nameInput.getAttribute('aria-invalid')).toBe('true');
    const described = (await nameInput.getAttribute('aria-describedby')) ?? '';
    expect(await page.locator(`[id="${described}"]`).textContent()).toMatch(
      /letters, digits, spaces or/,
    );
    await nameInput.fill('e2e-pool');
    await form.getByLabel('Golden image').selectOption({ label: 'e2e-desktop' });
    await form.getByLabel('Spare desktops').fill('0');
    await form.getByLabel('Maximum size').fill('3');
    // The CPU limit's range follows the vCPUs (2 by default): 100 per vCPU.
    const cpuLimit = form.getByLabel('CPU limit per desktop (% of one core)');
    await cpuLimit.fill('250');
    await form.getByRole('button', { name: 'Create pool' }).click();
    expect(await cpuLimit.getAttribute('aria-invalid')).toBe('true');
    await form.getByText('CPU limit must be a whole number from 10 to 200').waitFor();
    await cpuLimit.fill('150');
    await form.getByRole('button', { name: 'Create pool' }).click();
    const row = page.getByRole('row', { name: /e2e-pool/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('0 / 3');
    expect(await row.textContent()).toContain('CPU ≤ 150%');

    await row.getByRole('button', { name: 'Entitlements' }).click();
    await page.getByLabel('Entitle a user or group').selectOption({ label: 'Group: engineering' });
    await page.getByRole('button', { name: 'Entitle', exact: true }).click();
    await page.locator('.chip', { hasText: 'engineering' }).waitFor();
    await shot(page, 'admin-pools');

    for (const [name, hash, heading] of [
      ['overview', '/admin', 'Overview'],
      ['sessions', '/admin/sessions', 'Live sessions'],
      ['agents', '/admin/agents', 'Agents'],
      ['users', '/admin/users', 'Users and groups'],
      ['audit', '/admin/audit', 'Audit log'],
    ]) {
      await page.goto(`${base}/#${hash}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.locator('.spinner-block').waitFor({ state: 'detached' });
      await shot(page, `admin-${name}`);
    }
    // The audit log recorded the pool, and filters by action.
    await page.getByLabel('Action').fill('pool.create');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('cell', { name: 'pool.create' }).first().waitFor();
    await signOut(page);
    await page.close();
  });

  it('shows an employee her entitled pool, and changes her password', async () => {
    const page = await ctx.newPage();
    await signIn(page, ANN.username, ANN.password);
    await page.getByRole('heading', { name: 'e2e-pool' }).waitFor();
    expect(await page.getByRole('button', { name: 'Open' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Administration' }).count()).toBe(0);
    await shot(page, 'my-desktops');

    await page.getByRole('link', { name: 'Change password' }).click();
    await page.getByLabel('Current password').fill(ANN.password);
    await page.getByLabel('New password', { exact: true }).fill(ANN.next);
    await page.getByLabel('New password again').fill(ANN.next);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password was changed.').waitFor();
    await shot(page, 'password');
    await signOut(page);
    await signIn(page, ANN.username, ANN.next);
    await page.getByRole('heading', { name: 'My desktops' }).waitFor();
    await page.close();
  });
});
