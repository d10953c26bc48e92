import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { checkMirror, MirrorUnreachableError, parseDebianMirror } from './mirror';

describe('Debian mirror', () => {
  it('finds the Debian archive in deb822 sources, skipping security and third-party repos', () => {
    const deb822 = [
      'Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n',
      'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n',
      'Types: deb\nURIs: http://ftp.de.debian.org/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n',
    ];
    expect(parseDebianMirror(deb822)).toBe('http://ftp.de.debian.org/debian');
  });

  it('reads one-line sources too, and gives undefined when there is no Debian archive', () => {
    expect(
      parseDebianMirror([
        '# comment\ndeb [arch=amd64] http://mirror.example/debian bookworm main\n',
      ]),
    ).toBe('http://mirror.example/debian');
    expect(
      parseDebianMirror(['deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main']),
    ).toBeUndefined();
  });

  describe('reachability', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        res.statusCode = req.url === '/debian/dists/bookworm/InRelease' ? 200 : 404;
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('accepts a mirror that serves the suite', async () => {
      await expect(checkMirror(`${base}/debian`, 'bookworm')).resolves.toBeUndefined();
    });

    it('names the URL and the reason when the suite is missing or nothing listens', async () => {
      await expect(checkMirror(`${base}/debian`, 'nosuch')).rejects.toThrow(
        /nosuch\/InRelease: HTTP 404/,
      );
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((r) => closed.close(r));
      const err = await checkMirror(`http://127.0.0.1:${port}/debian`, 'bookworm').catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MirrorUnreachableError);
      expect((err as Error).message).toMatch(
        /cannot reach Debian's packages .*ECONNREFUSED.*check the network/,
      );
    });
  });
});
