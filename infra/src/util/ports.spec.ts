import { createServer, Server } from 'net';
import { freePort, portIsFree } from './ports';

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });

describe('free ports', () => {
  it('skips a port in use for the next free one', async () => {
    const start = await freePort(47000);
    const busy = await listen(start);
    try {
      expect(await portIsFree(start)).toBe(false);
      const next = await freePort(start);
      expect(next).toBeGreaterThan(start);
      expect(await portIsFree(next)).toBe(true);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });
});
