import { createServer } from 'net';

/** True when nothing listens on 127.0.0.1:port. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The preferred port when free, else the next free one above it. */
export async function freePort(preferred: number, span = 200): Promise<number> {
  for (let p = preferred; p < preferred + span; p++) {
    if (await portIsFree(p)) return p;
  }
  throw new Error(`no free local port in ${preferred}-${preferred + span - 1}`);
}
