// Credentials on disk, enrollment and heartbeats against a fake broker on loopback.

import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type {
  ChildInfo,
  HeartbeatReply,
  HostCapacity,
  TemplateInfo,
} from '@forkdesk/agent-contract';
import pino from 'pino';
import { credentialsPath, loadApiConfig, type ApiConfig } from '../config';
import { readCredentials, writeCredentials } from './credentials-store';
import { HeartbeatSender, parseReply, type EngineInventory } from './heartbeat';
import { resolveCredentials } from './resolve-credentials';
import { readTlsIdentity } from './tls-identity';

const log = pino({ level: 'silent' });
const BROKER_CREDS = {
  agentId: 'agent-7',
  apiToken: 'broker-minted-token-0123456789',
  displayKey: Buffer.alloc(32, 7).toString('base64'),
};

interface Received {
  url?: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}
let broker: Server;
let brokerUrl: string;
const received: Received[] = [];
/** What the fake broker answers next: status and body. */
let brokerReply: [number, unknown] = [200, BROKER_CREDS];

beforeAll(async () => {
  broker = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ url: req.url, headers: req.headers, body: JSON.parse(body) });
      res.writeHead(brokerReply[0], { 'content-type': 'application/json' });
      res.end(JSON.stringify(brokerReply[1]));
    });
  });
  await new Promise<void>((r) => broker.listen(0, '127.0.0.1', r));
  brokerUrl = `http://127.0.0.1:${(broker.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => broker.close(() => r())));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'forkdesk-enroll-'));
  received.length = 0;
  brokerReply = [200, BROKER_CREDS];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const config = (env: NodeJS.ProcessEnv = {}): ApiConfig =>
  loadApiConfig({ FORKDESK_DATA_DIR: dir, ...env });
const mode = (p: string) => statSync(p).mode & 0o777;

describe('credentials store', () => {
  it('writes 0600 and reads back; tightens a file others can read', async () => {
    const path = join(dir, 'sub', 'creds.json');
    await writeCredentials(path, BROKER_CREDS);
    expect(mode(path)).toBe(0o600);
    expect(await readCredentials(path)).toEqual({ credentials: BROKER_CREDS, tightened: false });
    chmodSync(path, 0o644);
    expect((await readCredentials(path))?.tightened).toBe(true);
    expect(mode(path)).toBe(0o600);
  });

  it('returns undefined when absent and a clear error when corrupt', async () => {
    const path = join(dir, 'creds.json');
    expect(await readCredentials(path)).toBeUndefined();
    writeFileSync(path, '{"agentId":');
    await expect(readCredentials(path)).rejects.toThrow(
      `credentials file ${path} is not valid JSON`,
    );
    writeFileSync(path, '{"agentId":"a"}');
    await expect(readCredentials(path)).rejects.toThrow(/lacks agentId, apiToken or displayKey/);
  });
});

describe('resolveCredentials', () => {
  const resolve = (cfg: ApiConfig, out = new PassThrough()) =>
    resolveCredentials({
      config: cfg,
      agentVersion: '0.1.0',
      gatewayAddress: '10.0.0.5:4822',
      log,
      out,
    });

  it('standalone: generates a token, prints it once, then loads the stored one', async () => {
    const out = new PassThrough();
    const first = await resolve(config(), out);
    expect(first.source).toBe('generated');
    expect(first.credentials.apiToken.length).toBeGreaterThanOrEqual(32);
    expect(Buffer.from(first.credentials.displayKey, 'base64')).toHaveLength(32);
    expect(String(out.read())).toContain(first.credentials.apiToken);
    expect(mode(credentialsPath(dir))).toBe(0o600);

    const out2 = new PassThrough();
    const second = await resolve(config(), out2);
    expect(second).toEqual({ credentials: first.credentials, source: 'stored' });
    expect(out2.read()).toBeNull();
  });

  it('standalone: FORKDESK_AGENT_TOKEN is used and not printed; it overrides a stored token', async () => {
    const out = new PassThrough();
    const token = 'env-token-abcdefghijklmnop';
    const r = await resolve(config({ FORKDESK_AGENT_TOKEN: token }), out);
    expect(r.credentials.apiToken).toBe(token);
    expect(out.read()).toBeNull();
    const other = 'another-env-token-0123456';
    const r2 = await resolve(config({ FORKDESK_AGENT_TOKEN: other }));
    expect(r2.credentials.apiToken).toBe(other);
    expect(r2.credentials.displayKey).toBe(r.credentials.displayKey);
  });

  it('enrolls with the broker once and stores what it answered', async () => {
    const cfg = config({
      FORKDESK_BROKER_URL: brokerUrl,
      FORKDESK_ENROLLMENT_TOKEN: 'one-time',
      FORKDESK_ADVERTISE_URL: 'http://10.0.0.5:7450/',
      FORKDESK_AGENT_TLS: 'off',
    });
    const r = await resolve(cfg);
    expect(r).toEqual({ credentials: BROKER_CREDS, source: 'enrolled' });
    expect(received).toHaveLength(1);
    expect(received[0].url).toBe('/v1/agents/enroll');
    expect(received[0].body).toMatchObject({
      enrollmentToken: 'one-time',
      apiUrl: 'http://10.0.0.5:7450',
      gatewayAddress: '10.0.0.5:4822',
      agentVersion: '0.1.0',
    });
    expect(JSON.parse(readFileSync(credentialsPath(dir), 'utf8'))).toEqual(BROKER_CREDS);
    expect(mode(credentialsPath(dir))).toBe(0o600);
    // Restart: the one-time token is not sent again.
    expect((await resolve(cfg)).source).toBe('stored');
    expect(received).toHaveLength(1);
  });

  it("keeps the broker's separate heartbeat token, stored and loaded again (issue 15)", async () => {
    const cfg = config({
      FORKDESK_BROKER_URL: brokerUrl,
      FORKDESK_ENROLLMENT_TOKEN: 'one-time',
      FORKDESK_AGENT_TLS: 'off',
    });
    const creds = { ...BROKER_CREDS, heartbeatToken: 'agent-presents-this-0123456789' };
    brokerReply = [200, creds];
    expect(await resolve(cfg)).toEqual({ credentials: creds, source: 'enrolled' });
    expect(JSON.parse(readFileSync(credentialsPath(dir), 'utf8'))).toEqual(creds);
    expect(await resolve(cfg)).toEqual({ credentials: creds, source: 'stored' });
  });

  it('with TLS: sends a CSR and an https URL, keeps its key 0600 beside the signed certificate', async () => {
    const cfg = config({
      FORKDESK_BROKER_URL: brokerUrl,
      FORKDESK_ENROLLMENT_TOKEN: 'one-time',
      FORKDESK_ADVERTISE_URL: 'http://10.0.0.5:7450/',
    });
    brokerReply = [200, { ...BROKER_CREDS, certificate: 'CERT', caCertificate: 'CA' }];
    const r = await resolve(cfg);
    expect(r).toEqual({ credentials: BROKER_CREDS, source: 'enrolled' });
    expect(received[0].body).toMatchObject({ apiUrl: 'https://10.0.0.5:7450' });
    expect(String(received[0].body.csr)).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    const tls = await readTlsIdentity(dir);
    expect(tls).toMatchObject({ certificate: 'CERT', caCertificate: 'CA' });
    expect(tls?.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(mode(join(dir, 'tls', 'agent.key'))).toBe(0o600);
    expect(mode(join(dir, 'tls'))).toBe(0o700);

    // A broker that ignores the request is an error, not a silent plain-HTTP agent.
    rmSync(credentialsPath(dir));
    brokerReply = [200, BROKER_CREDS];
    await expect(resolve(cfg)).rejects.toThrow(/without the certificate the agent asked for/);
  });

  it('fails clearly when the broker refuses, answers garbage, or no token is given', async () => {
    const cfg = config({ FORKDESK_BROKER_URL: brokerUrl, FORKDESK_ENROLLMENT_TOKEN: 'used' });
    brokerReply = [403, { statusCode: 403, message: 'enrollment token already used' }];
    await expect(resolve(cfg)).rejects.toThrow(
      'broker refused enrollment (HTTP 403): enrollment token already used',
    );
    brokerReply = [200, { agentId: 'x' }];
    await expect(resolve(cfg)).rejects.toThrow(/without agentId, apiToken and displayKey/);
    await expect(resolve(config({ FORKDESK_BROKER_URL: brokerUrl }))).rejects.toThrow(
      /set FORKDESK_ENROLLMENT_TOKEN/,
    );
    expect(() => readFileSync(credentialsPath(dir))).toThrow(/ENOENT/);
  });
});

/** Only what a heartbeat reads; the rest is not called. */
class FakeInventoryEngine implements EngineInventory {
  async capacity(): Promise<HostCapacity> {
    return {
      hostname: 'h',
      accel: 'tcg',
      totalMiB: 1,
      availableMiB: 1,
      reserveMiB: 0,
      children: 1,
      templates: 0,
      childrenPrivateMiB: 0,
    };
  }
  listChildren(): ChildInfo[] {
    return [{ id: 'c-1' } as ChildInfo];
  }
  getChild(id: string): ChildInfo | undefined {
    return { id, memory: { privateMiB: 40, sharedMiB: 12 } } as ChildInfo;
  }
  listTemplates(): TemplateInfo[] {
    return [];
  }
}

describe('HeartbeatSender', () => {
  it('posts capacity, VMs and templates with the agent token', async () => {
    const engine = new FakeInventoryEngine();
    const sender = new HeartbeatSender(engine, brokerUrl, BROKER_CREDS, '0.1.0', 60_000, log);
    brokerReply = [204, {}];
    expect(await sender.sendOnce()).toBe(true);
    expect(received[0].url).toBe('/v1/agents/agent-7/heartbeat');
    expect(received[0].headers.authorization).toBe(`Bearer ${BROKER_CREDS.apiToken}`);
    expect(received[0].body).toMatchObject({
      agentId: 'agent-7',
      vms: [{ id: 'c-1', memory: { privateMiB: 40, sharedMiB: 12 } }],
      templates: [],
      capacity: { children: 1 },
    });
    brokerReply = [500, {}];
    expect(await sender.sendOnce()).toBe(false);
    const dead = new HeartbeatSender(engine, 'http://127.0.0.1:9', BROKER_CREDS, '0', 1000, log);
    expect(await dead.sendOnce()).toBe(false);
  });

  it('presents its own heartbeat token when the broker gave it one', async () => {
    const creds = { ...BROKER_CREDS, heartbeatToken: 'agent-presents-this-0123456789' };
    const sender = new HeartbeatSender(
      new FakeInventoryEngine(),
      brokerUrl,
      creds,
      '0.1.0',
      60_000,
      log,
    );
    brokerReply = [204, {}];
    expect(await sender.sendOnce()).toBe(true);
    expect(received[0].headers.authorization).toBe(`Bearer ${creds.heartbeatToken}`);
  });

  it("hands the broker's lease renewals to its listener", async () => {
    const replies: HeartbeatReply[] = [];
    const engine = new FakeInventoryEngine();
    const sender = new HeartbeatSender(engine, brokerUrl, BROKER_CREDS, '0.1.0', 60_000, log, (r) =>
      replies.push(r),
    );
    const leases = [{ vmId: 'c-1', expiresAt: '2026-01-10T12:00:30.000Z' }];
    brokerReply = [200, { orphans: 0, lost: 0, leases: [...leases, { vmId: 3 }] }];
    expect(await sender.sendOnce()).toBe(true);
    expect(replies).toEqual([{ orphans: 0, lost: 0, leases }]);
    expect(parseReply('')).toEqual({ orphans: 0, lost: 0, leases: [] });
    expect(parseReply('<html>')).toEqual({ orphans: 0, lost: 0, leases: [] });
  });
});
