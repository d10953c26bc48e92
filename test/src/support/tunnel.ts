import WebSocket from 'ws';

/**
 * Opens the portal's display tunnel with `token`; resolves once the display streams: a `sync`
 * (with `drawn`, only after an `img`: the desktop's pixels reached the client).
 */
export function tunnelStreams(
  baseUrl: string,
  token: string,
  opts: { timeoutMs?: number; drawn?: boolean } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const url = `${baseUrl.replace(/^http/, 'ws')}/tunnel?token=${encodeURIComponent(token)}&width=1024&height=768&dpi=96`;
  const ws = new WebSocket(url, 'guacamole');
  let seen = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no sync within ${timeoutMs} ms: ${seen.slice(0, 300)}`)),
      timeoutMs,
    );
    const done = (err?: Error): void => {
      clearTimeout(timer);
      ws.close();
      if (err) reject(err);
      else resolve();
    };
    ws.on('message', (m: WebSocket.RawData) => {
      seen += m.toString();
      if (/(^|;)5\.error,/.test(seen)) done(new Error(`tunnel error: ${seen.slice(0, 300)}`));
      else if (/(^|;)4\.sync,/.test(seen) && (!opts.drawn || /(^|;)3\.img,/.test(seen))) done();
    });
    ws.on('error', (err) => done(err));
  });
}
