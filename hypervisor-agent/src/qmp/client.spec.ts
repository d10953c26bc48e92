// The transport against a fake QMP server (a unix socket speaking canned QMP), named as fake.
import { mkdtempSync, rmSync } from 'fs';
import { createServer, Server, Socket } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { connectQmp, QmpError, QmpTimeoutError } from './client';

describe('JsonChannel over a fake QMP server', () => {
  let dir: string;
  let server: Server;
  let path: string;
  let onLine: (s: Socket, msg: { execute: string; id: string }) => void;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qmp-'));
    path = join(dir, 'qmp.sock');
    server = createServer((s) => {
      s.write(
        '{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": ""}, "capabilities": []}}\r\n',
      );
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          onLine(s, JSON.parse(line) as { execute: string; id: string });
        }
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('negotiates, runs commands, delivers events, maps errors', async () => {
    onLine = (s, m) => {
      if (m.execute === 'qmp_capabilities') s.write(`{"return": {}, "id": "${m.id}"}\r\n`);
      else if (m.execute === 'stop') {
        s.write('{"event": "STOP", "data": {}}\r\n');
        s.write(`{"return": {}, "id": "${m.id}"}\r\n`);
      } else if (m.execute !== 'silent')
        s.write(`{"error": {"class": "CommandNotFound", "desc": "nope"}, "id": "${m.id}"}\r\n`);
    };
    const ch = await connectQmp(path);
    const stopped = ch.waitEvent('STOP', 1000);
    await expect(ch.execute('stop')).resolves.toEqual({});
    await expect(stopped).resolves.toMatchObject({ event: 'STOP' });
    await expect(ch.execute('bogus')).rejects.toBeInstanceOf(QmpError);
    const pending = ch.execute('silent', undefined, 5000);
    ch.close();
    // Closed at once, not a tick later when the socket reports it.
    expect(ch.closed).toBe(true);
    await expect(pending).rejects.toThrow(/closed by this client/);
    await expect(ch.execute('after')).rejects.toThrow(/closed by this client/);
  });

  it('times out a command the server never answers, and fails pending ones on close', async () => {
    onLine = (s, m) => {
      if (m.execute === 'qmp_capabilities') s.write(`{"return": {}, "id": "${m.id}"}\r\n`);
      if (m.execute === 'hangup') s.destroy();
    };
    const ch = await connectQmp(path);
    await expect(ch.execute('silent', undefined, 50)).rejects.toBeInstanceOf(QmpTimeoutError);
    await expect(ch.execute('hangup')).rejects.toThrow(/closed/);
    expect(ch.closed).toBe(true);
    await expect(ch.execute('after')).rejects.toThrow(/closed/);
  });

  it('gives a clear error when no server listens', async () => {
    await expect(connectQmp(join(dir, 'none.sock'))).rejects.toThrow(/ENOENT/);
  });
});
