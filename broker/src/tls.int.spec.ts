// The portal over TLS: a broker started with a self-signed certificate (made by openssl here)
// answers HTTPS only, logs a user in with Secure cookies, and upgrades the tunnel on WSS.
import { createTestDatabase, type TestDatabase } from '@forkdesk/db/testing';
import type { INestApplication } from '@nestjs/common';
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { request as httpRequest } from 'http';
import { request as httpsRequest } from 'https';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import pino from 'pino';
import { connect } from 'tls';
import { loadBrokerConfig } from './config';
import { createBrokerApp, httpsOptions } from './create-app';
import { createUsers, PASSWORD } from './testing/broker-harness';
import { TunnelKey } from './tunnel/tunnel-key';
import { encryptTunnelToken } from './tunnel/tunnel-token';

jest.setTimeout(60_000);

interface Reply {
  status: number;
  cookies: string[];
  body: string;
}

let dir: string;
let ca: Buffer;
let db: TestDatabase;
let app: INestApplication;
let port: number;

function call(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: object,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : undefined;
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca,
        headers: { ...headers, ...(data ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            cookies: res.headers['set-cookie'] ?? [],
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const cookieValue = (cookies: string[], name: string): string | undefined =>
  cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'forkdesk-tls-'));
  const cert = join(dir, 'portal.crt');
  const key = join(dir, 'portal.key');
  // prettier-ignore
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  ca = readFileSync(cert);
  db = await createTestDatabase('broker_tls');
  await createUsers(db.dataSource, ['tina']);
  const config = loadBrokerConfig({
    DATABASE_URL: db.url,
    FORKDESK_SCHEDULER: 'false',
    FORKDESK_PORTAL_DIR: '/nonexistent',
    FORKDESK_LOG_LEVEL: 'silent',
    FORKDESK_TLS_CERT: cert,
    FORKDESK_TLS_KEY: key,
  });
  app = await createBrokerApp(config, pino({ level: 'silent' }));
  await app.listen(0, '127.0.0.1');
  port = (app.getHttpServer() as { address(): AddressInfo }).address().port;
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('portal over TLS', () => {
  it('logs a user in over HTTPS with Secure session and CSRF cookies', async () => {
    const health = await call('GET', '/health', {});
    expect(health.status).toBe(200);
    const csrf = cookieValue(health.cookies, 'forkdesk_csrf');
    expect(health.cookies.find((c) => c.startsWith('forkdesk_csrf='))).toMatch(/; Secure/);
    if (!csrf) throw new Error('no CSRF cookie');
    const login = await call(
      'POST',
      '/api/auth/login',
      { cookie: csrf, 'x-csrf-token': decodeURIComponent(csrf.split('=')[1] ?? '') },
      { username: 'tina', password: PASSWORD },
    );
    expect(login.status).toBe(200);
    const session = login.cookies.find((c) => c.startsWith('forkdesk_session='));
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; Secure/);
    const me = await call('GET', '/api/auth/me', {
      cookie: `${csrf}; ${cookieValue(login.cookies, 'forkdesk_session')}`,
    });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({ user: { username: 'tina' } });
  });

  it('serves the tunnel websocket on WSS', async () => {
    // A well-formed token (to a gateway that refuses): guacamole-lite accepts the upgrade.
    const token = encryptTunnelToken(
      { connection: { type: 'vnc', guacdHost: '127.0.0.1', guacdPort: 1, settings: {} } },
      app.get(TunnelKey).get(),
    );
    const head = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca }, () => {
        s.write(
          [
            `GET /tunnel?token=${encodeURIComponent(token)} HTTP/1.1`,
            `Host: 127.0.0.1:${port}`,
            'Upgrade: websocket',
            'Connection: Upgrade',
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
            'Sec-WebSocket-Version: 13',
            '',
            '',
          ].join('\r\n'),
        );
      });
      s.once('data', (d: Buffer) => {
        resolve(d.toString().split('\r\n')[0] ?? '');
        s.destroy();
      });
      s.on('error', reject);
    });
    expect(head).toBe('HTTP/1.1 101 Switching Protocols');
  });

  it('refuses plain HTTP on the TLS port', async () => {
    await expect(
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/health' }, resolve);
        req.on('error', reject);
        req.end();
      }),
    ).rejects.toThrow();
  });

  it('names an unreadable certificate file clearly', () => {
    expect(() =>
      httpsOptions({
        ...loadBrokerConfig({ DATABASE_URL: 'x' }),
        tls: { certFile: join(dir, 'missing.crt'), keyFile: join(dir, 'portal.key') },
      }),
    ).toThrow(/FORKDESK_TLS_CERT .*missing\.crt cannot be read/);
  });
});
