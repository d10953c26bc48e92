// The Debian mirror the host already uses (its apt sources), and a quick reachability check so
// a build without network fails in seconds with a clear message instead of deep in mmdebstrap.
import { existsSync, readdirSync, readFileSync } from 'fs';
import { request } from 'http';
import { request as httpsRequest } from 'https';
import { join } from 'path';

/**
 * The first Debian archive URI (not security, not third-party) in apt sources text, one-line
 * (`deb URI suite comp`) or deb822 (`URIs:` / `Suites:`) style.
 */
export function parseDebianMirror(sources: string[]): string | undefined {
  const candidates: string[] = [];
  for (const text of sources) {
    for (const block of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(.+)$/im.exec(block);
      const suites = /^Suites:\s*(.+)$/im.exec(block);
      if (uris?.[1] && suites?.[1] && /\b(bookworm|stable)\b/.test(suites[1])) {
        candidates.push(...uris[1].trim().split(/\s+/));
      }
    }
    for (const line of text.split('\n')) {
      const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m?.[1] && m[2] && /^(bookworm|stable)/.test(m[2])) candidates.push(m[1]);
    }
  }
  const debian = candidates.filter((u) => /^https?:\/\//.test(u) && /\/debian\/?$/.test(u));
  return debian[0]?.replace(/\/$/, '');
}

/** The host's configured Debian mirror; FORKDESK_DEBIAN_MIRROR overrides it. */
export function hostDebianMirror(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FORKDESK_DEBIAN_MIRROR) return env.FORKDESK_DEBIAN_MIRROR.replace(/\/$/, '');
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join(dir, f));
    }
  }
  const texts = files.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8'));
  return parseDebianMirror(texts) ?? 'http://deb.debian.org/debian';
}

export class MirrorUnreachableError extends Error {
  override name = 'MirrorUnreachableError';
}

/** Fetches the suite's Release file headers; rejects with a clear reason within `timeoutMs`. */
export function checkMirror(mirror: string, suite: string, timeoutMs = 10_000): Promise<void> {
  const url = `${mirror}/dists/${suite}/InRelease`;
  const get = url.startsWith('https:') ? httpsRequest : request;
  return new Promise((resolve, reject) => {
    const fail = (why: string): void =>
      reject(
        new MirrorUnreachableError(
          `cannot reach Debian's packages at ${url}: ${why}. The golden image is built from ` +
            `the Debian mirror in /etc/apt/sources.list(.d) (or FORKDESK_DEBIAN_MIRROR); check the network.`,
        ),
      );
    const req = get(url, { method: 'HEAD', timeout: timeoutMs }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else fail(`HTTP ${res.statusCode}`);
    });
    req.on('timeout', () => {
      req.destroy();
      fail(`no answer within ${timeoutMs} ms`);
    });
    req.on('error', (err) => fail(err.message));
    req.end();
  });
}
