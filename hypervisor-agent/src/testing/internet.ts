// Test-only: a network namespace standing in for "the internet" (a public-looking address),
// with a private address beside it, both reachable from the host over a veth link, and an
// HTTP server answering on both.
import { ChildProcess, execFileSync, spawn } from 'child_process';

export interface FakeInternet {
  netns: string;
  /** The server's public-looking address and the host's address on that link. */
  publicAddr: string;
  hostPublicAddr: string;
  /** A private address on the same server (NAT desktops must not reach it). */
  privateAddr: string;
  port: number;
  close(): void;
}

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

const SERVER = `
const http = require('http');
http.createServer((req, res) => res.end('internet-ok ' + req.socket.localAddress + '\\n'))
  .listen(Number(process.argv[1]), '0.0.0.0', () => process.stdout.write('listening\\n'));
// Gone with the test process, even when it dies without cleaning up.
setInterval(() => { try { process.kill(Number(process.argv[2]), 0); } catch { process.exit(0); } }, 500);
`;

export async function startFakeInternet(tag: string, port = 8080): Promise<FakeInternet> {
  const netns = `fdtest-inet-${tag}`;
  // Not "fdh…": the host's NAT rules must treat this link as an ordinary uplink.
  const hostIf = `fdti${tag}`.slice(0, 15);
  const net = {
    netns,
    publicAddr: '198.51.100.1',
    hostPublicAddr: '198.51.100.2',
    privateAddr: '10.199.77.1',
    port,
  };
  let server: ChildProcess | undefined;
  const close = (): void => {
    if (server?.pid) process.kill(server.pid, 'SIGKILL');
    try {
      ip('link', 'del', hostIf);
    } catch {
      // already gone with the namespace
    }
    try {
      ip('netns', 'delete', netns);
    } catch {
      // never created
    }
  };
  try {
    ip('netns', 'add', netns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    ip('addr', 'add', `${net.hostPublicAddr}/24`, 'dev', hostIf);
    ip('addr', 'add', '10.199.77.2/24', 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    ip('-n', netns, 'addr', 'add', `${net.publicAddr}/24`, 'dev', 'eth0');
    ip('-n', netns, 'addr', 'add', `${net.privateAddr}/24`, 'dev', 'eth0');
    ip('-n', netns, 'link', 'set', 'eth0', 'up');
    const proc = spawn(
      'nsenter',
      [
        `--net=/run/netns/${netns}`,
        '--',
        process.execPath,
        '-e',
        SERVER,
        String(port),
        String(process.pid),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    server = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('fake internet server did not start')),
        10_000,
      );
      proc.stdout?.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.once('exit', (code) => reject(new Error(`fake internet server exited (${code})`)));
    });
  } catch (err) {
    close();
    throw err;
  }
  return { ...net, close };
}
