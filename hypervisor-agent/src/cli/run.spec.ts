// The CLI against a fake agent: a loopback HTTP server answering a few canned routes.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildInfo, TemplateInfo } from '@forkdesk/agent-contract';
import { runCli } from './run';

const TOKEN = 'cli-test-token-0123456789';
const child = (id: string, templateId = 'tpl-a'): ChildInfo => ({
  id,
  templateId,
  pid: 4242,
  state: 'running',
  vncSocket: '/x.vnc',
  createdAt: new Date().toISOString(),
  forkMs: 61.25,
  warm: true,
  memory: { privateMiB: 12.5, sharedMiB: 100 },
});
const template: TemplateInfo = {
  id: 'tpl-a',
  imageVersion: 'tiny@1',
  shape: { vcpus: 1, memoryMiB: 128 },
  accel: 'tcg',
  state: 'ready',
  deviceStateBytes: 300_000,
  buildMs: 3100,
  createdAt: new Date().toISOString(),
  children: 1,
};

interface Seen {
  method?: string;
  url?: string;
  body: string;
  auth?: string;
}
const seen: Seen[] = [];
let fakeAgent: Server;
let url: string;

function reply(url: string, method: string): [number, unknown, Record<string, string>?] {
  if (method === 'GET' && url === '/v1/children') return [200, [child('c-1')]];
  if (method === 'GET' && url === '/v1/templates') return [200, [template]];
  if (method === 'GET' && url === '/v1/templates/tpl-a') return [200, template];
  if (method === 'GET' && url === '/v1/children/c-1') return [200, child('c-1')];
  if (method === 'POST' && url === '/v1/children')
    return [201, { children: [child('c-2'), child('c-3')], totalMs: 130.5 }];
  if (method === 'POST' && url === '/v1/vms/c-1/fork')
    return [
      201,
      { template: { ...template, id: 'tpl-c1' }, children: [child('c-1')], totalMs: 400 },
    ];
  if (method === 'DELETE' && url === '/v1/children/c-1') return [204, undefined];
  if (method === 'POST' && url === '/v1/templates') return [201, template];
  if (method === 'GET' && url === '/v1/templates/full') return [200, { ...template, id: 'full' }];
  return [404, { statusCode: 404, message: `unknown VM "${url.split('/').pop()}"` }];
}

beforeAll(async () => {
  fakeAgent = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body, auth: req.headers.authorization });
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res
          .writeHead(401)
          .end(JSON.stringify({ statusCode: 401, message: 'invalid bearer token' }));
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/children' && body.includes('"full"')) {
        res.writeHead(503, { 'retry-after': '30' });
        res.end(JSON.stringify({ statusCode: 503, message: 'memory reserve reached' }));
        return;
      }
      const [status, json] = reply(req.url ?? '', req.method ?? '');
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(json === undefined ? '' : JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => fakeAgent.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(fakeAgent.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => fakeAgent.close(() => r())));
beforeEach(() => {
  seen.length = 0;
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    env: { FORKDESK_AGENT_URL: url, FORKDESK_AGENT_TOKEN: TOKEN, ...env },
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
  });
  return { code, out, err };
}

describe('forkdesk-agent CLI', () => {
  it('lists children as a table with times and memory', async () => {
    const r = await cli(['list']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.split('\n')[0]).toMatch(
      /^ID\s+TEMPLATE\s+PID\s+STATE\s+FORK\s+WARM\s+PRIVATE\s+AGE$/,
    );
    expect(r.out).toMatch(/c-1\s+tpl-a\s+4242\s+running\s+61\.3 ms\s+yes\s+12\.5 MiB\s+\d+s/);
    expect(seen[0].auth).toBe(`Bearer ${TOKEN}`);
  });

  it('forks from a template, printing wall and agent times', async () => {
    const r = await cli(['fork', 'tpl-a', '--count', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^forked 2 children of template tpl-a in [\d.]+ ms \(agent 130\.5 ms\)/);
    expect(r.out).toContain('c-3');
    expect(JSON.parse(seen[1].body)).toEqual({ templateId: 'tpl-a', count: 2 });
  });

  it('forks a running VM when the target is not a template', async () => {
    const r = await cli(['fork', 'c-1']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^froze VM c-1 as template tpl-c1 and forked 1 child in/);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /v1/templates/c-1',
      'GET /v1/children/c-1',
      'POST /v1/vms/c-1/fork',
    ]);
  });

  it('builds a template with a shape', async () => {
    const r = await cli(['build-template', 'tiny', '--vcpus', '1', '--memory-mib', '128']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^template tpl-a ready in [\d.]+ ms \(built in 3\.10 s, device state 293 KiB\)\n$/,
    );
    expect(JSON.parse(seen[0].body)).toEqual({
      imageVersion: 'tiny',
      shape: { vcpus: 1, memoryMiB: 128 },
    });
  });

  it('prints JSON with --json', async () => {
    const r = await cli(['templates', '--json']);
    expect(JSON.parse(r.out)).toEqual([template]);
  });

  it('destroys and prints the time', async () => {
    const r = await cli(['destroy', 'c-1']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^destroyed c-1 in [\d.]+ ms\n$/);
  });

  it('exits 1 with one line for API errors, unknown targets and a dead agent', async () => {
    const missing = await cli(['destroy', 'nope']);
    expect(missing).toEqual({
      code: 1,
      out: '',
      err: 'forkdesk-agent: unknown VM "nope" (HTTP 404)\n',
    });
    const full = await cli(['fork', 'full']);
    expect(full.err).toBe('forkdesk-agent: memory reserve reached (HTTP 503, retry after 30 s)\n');
    const unknown = await cli(['fork', 'ghost']);
    expect(unknown.err).toBe('forkdesk-agent: no template or VM named "ghost" on the agent\n');
    const bad = await cli(['list'], { FORKDESK_AGENT_TOKEN: 'wrong-token-000000000' });
    expect(bad.err).toBe('forkdesk-agent: invalid bearer token (HTTP 401)\n');
    const closed = await closedPort();
    const dead = await cli(['list', '--url', `http://127.0.0.1:${closed}`]);
    expect(dead).toEqual({
      code: 1,
      out: '',
      err: `forkdesk-agent: cannot reach agent at http://127.0.0.1:${closed}: ECONNREFUSED\n`,
    });
  });

  it('exits 2 with usage for bad arguments, 0 for help', async () => {
    const r = await cli(['fork', 'tpl-a', '--count', 'many']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^forkdesk-agent: --count must be an integer in 1\.\.64, got "many"\nusage:/,
    );
    expect((await cli(['--help'])).code).toBe(0);
  });

  it('takes URL and token from the data dir by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forkdesk-cli-'));
    try {
      const env = { FORKDESK_DATA_DIR: dir, FORKDESK_AGENT_URL: '', FORKDESK_AGENT_TOKEN: '' };
      const none = await cli(['list'], env);
      expect(none.code).toBe(1);
      expect(none.err).toMatch(/^forkdesk-agent: no agent token: pass --token/);
      writeFileSync(join(dir, 'agent-endpoint.json'), JSON.stringify({ url, pid: 1 }));
      writeFileSync(
        join(dir, 'agent-credentials.json'),
        JSON.stringify({ agentId: 'a', apiToken: TOKEN, displayKey: 'k' }),
      );
      const r = await cli(['list'], env);
      expect(r.code).toBe(0);
      expect(r.out).toContain('c-1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
