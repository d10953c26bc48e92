/**
 * `npm run bench -- portal`: the portal's gzipped JavaScript (bundle_kib) and time to interactive
 * on loopback (tti_ms: navigation start → the sign-in form accepts typing, median of cold loads
 * in Debian's Chromium). Serves web-portal/dist itself (answering /api/auth/me with 401, as a
 * broker does for a new visitor) unless FORKDESK_PORTAL_URL names a running broker.
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { chromium } from 'playwright-core';
import { percentile, writeReport } from '../src/support/bench-report';
import { CHROMIUM } from '../src/support/chromium';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'web-portal', 'dist');
const RUNS = 7;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
};

function jsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : [];
  });
}

/** The bytes the broker serves, with gzip, as a browser would get them. */
function serveDist(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/api/')) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"statusCode":401,"message":"Unauthorized"}');
      return;
    }
    const rel = path.normalize(url.pathname).replace(/^(\.\.[/\\])+/, '');
    let file = path.join(DIST, rel);
    if (!file.startsWith(DIST) || !fs.existsSync(file) || fs.statSync(file).isDirectory())
      file = path.join(DIST, 'index.html');
    const body = gzipSync(fs.readFileSync(file));
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-encoding': 'gzip',
    });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(DIST, 'index.html')))
    throw new Error('build the portal first: npx nx run web-portal:build');
  const files = jsFiles(DIST);
  const gz = files.map((f) => ({ f, bytes: gzipSync(fs.readFileSync(f), { level: 9 }).length }));
  const total = gz.reduce((a, g) => a + g.bytes, 0);
  const entry = gz.find((g) => /index-[^/]*\.js$/.test(g.f))?.bytes ?? 0;

  const server = process.env.FORKDESK_PORTAL_URL ? null : await serveDist();
  const url =
    process.env.FORKDESK_PORTAL_URL ??
    `http://127.0.0.1:${(server?.address() as AddressInfo).port}/`;
  // playwright-core gives the browser a fresh temporary profile of its own.
  const browser = await chromium
    .launch({
      ...CHROMIUM,
    })
    .catch((err: unknown) => {
      server?.close();
      throw err;
    });
  const tti: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      // A new context per run: cold cache, no cookies.
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(url, { waitUntil: 'commit' });
      const input = page.getByLabel('Username');
      await input.waitFor({ state: 'visible', timeout: 30_000 });
      await input.fill('x'); // accepts typing: the app is interactive
      tti.push(await page.evaluate(() => performance.now()));
      await ctx.close();
    }
  } finally {
    await browser.close();
    server?.close();
  }
  writeReport(
    'portal',
    {
      bundle_kib: {
        value: Math.round((total / 1024) * 10) / 10,
        unit: 'KiB',
        target: 600,
        better: 'lower',
      },
      tti_ms: { value: Math.round(percentile(tti, 50)), unit: 'ms', target: 1000, better: 'lower' },
    },
    {
      served_by: process.env.FORKDESK_PORTAL_URL ? 'broker' : 'static loopback server (gzip)',
      entry_chunk_kib: Math.round((entry / 1024) * 10) / 10,
      js_files: files.length,
      tti_runs_ms: tti.map((t) => Math.round(t)),
      tti_p90_ms: Math.round(percentile(tti, 90)),
    },
    ROOT,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench portal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
