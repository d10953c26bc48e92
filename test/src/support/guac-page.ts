// The display path as the broker runs it, without the broker: guacamole-lite on an HTTP server
// that also serves a page using the real guacamole-common-js, in front of a display gateway.
import { randomBytes } from 'crypto';
import { buildSync } from 'esbuild';
import * as http from 'http';
import { AddressInfo } from 'net';
import type { Page } from 'playwright-core';
import type { DisplayMode, DisplayTicket } from '@forkdesk/agent-contract';
import { encryptTunnelToken } from '@forkdesk/broker/testing';

// guacamole-lite ships no types; its constructor is all we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const GuacamoleLite = require('guacamole-lite') as new (
  ws: { server: http.Server },
  guacd: { host: string; port: number },
  client: Record<string, unknown>,
) => { close(): void };

const CYPHER = 'AES-256-CBC';

export type TicketFn = (
  desktop: string,
  mode?: DisplayMode,
  over?: Partial<DisplayTicket>,
) => string;

export interface GuacPageServer {
  /** The HTTP/WebSocket port: the page and the tunnel both take `/?token=<token>`. */
  port: number;
  token(desktop: string, mode?: DisplayMode, over?: Partial<DisplayTicket>): string;
  stop(): Promise<void>;
}

/** guacamole-lite in front of the gateway on `gatewayPort`, tickets minted by `ticket`. */
export async function startGuacPageServer(
  gatewayPort: number,
  ticket: TicketFn,
): Promise<GuacPageServer> {
  const key = randomBytes(32);
  const httpServer = http.createServer((req, res) => {
    if (req.url === '/guacamole.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(guacamoleBundle());
    } else {
      res.setHeader('content-type', 'text/html');
      res.end(PAGE);
    }
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
  const quiet = (): void => undefined;
  const lite = new GuacamoleLite(
    { server: httpServer },
    { host: '127.0.0.1', port: gatewayPort },
    {
      crypt: { cypher: CYPHER, key },
      log: { level: 'ERRORS', stdLog: quiet, errorLog: quiet },
    },
  );
  // The broker's own token format (what guacamole-lite decrypts).
  const token = (
    desktop: string,
    mode: DisplayMode = 'control',
    over: Partial<DisplayTicket> = {},
  ): string => {
    const settings = { desktop, ticket: ticket(desktop, mode, over), width: 1024, height: 768 };
    return encryptTunnelToken(
      { connection: { type: 'vnc', guacdHost: '127.0.0.1', guacdPort: gatewayPort, settings } },
      key,
    );
  };
  return {
    port: (httpServer.address() as AddressInfo).port,
    token,
    stop: async () => {
      lite.close();
      httpServer.closeAllConnections();
      await new Promise<void>((r) => httpServer.close(() => r()));
    },
  };
}

let bundle: string | undefined;
/** guacamole-common-js from node_modules as one script defining window.Guacamole. */
function guacamoleBundle(): string {
  bundle ??= buildSync({
    entryPoints: [require.resolve('guacamole-common-js')],
    bundle: true,
    format: 'iife',
    globalName: 'Guacamole',
    write: false,
  }).outputFiles[0].text;
  return bundle;
}

const PAGE = `<!doctype html><html><body style="margin:0">
<script src="/guacamole.js"></script>
<script>
const client = new Guacamole.Client(new Guacamole.WebSocketTunnel('ws://' + location.host + '/'));
document.body.appendChild(client.getDisplay().getElement());
window.guacState = 0;
client.onstatechange = (s) => (window.guacState = s);
client.onerror = (e) => (window.guacError = e.code);
const keyboard = new Guacamole.Keyboard(document);
keyboard.onkeydown = (k) => { client.sendKeyEvent(1, k); };
keyboard.onkeyup = (k) => client.sendKeyEvent(0, k);
window.readPixels = () => {
  // The layer's canvas is padded to multiples of 64 px; the layer knows its real size.
  const layer = client.getDisplay().getDefaultLayer();
  const w = layer.width, h = layer.height;
  if (w === 0 || h === 0) return { w: 0, h: 0, rgba: '' };
  const d = layer.getCanvas().getContext('2d').getImageData(0, 0, w, h).data;
  let s = '';
  for (let i = 0; i < d.length; i += 32768) s += String.fromCharCode.apply(null, d.subarray(i, i + 32768));
  return { w, h, rgba: btoa(s) };
};
window.clipboardIn = [];
client.onclipboard = (stream, mimetype) => {
  const reader = new Guacamole.StringReader(stream);
  let text = '';
  reader.ontext = (t) => (text += t);
  reader.onend = () => window.clipboardIn.push({ mimetype, text });
};
window.sendClipboard = (text) => {
  const writer = new Guacamole.StringWriter(client.createClipboardStream('text/plain'));
  writer.sendText(text);
  writer.sendEnd();
};
window.sendSize = (w, h) => client.sendSize(w, h);
client.connect(location.search.slice(1));
</script></body></html>`;

/** What the page exposes to tests (see PAGE). */
interface PageApi {
  guacState: number;
  guacError?: number;
  clipboardIn: { mimetype: string; text: string }[];
  readPixels(): { w: number; h: number; rgba: string };
  sendClipboard(text: string): void;
  sendSize(w: number, h: number): void;
}

/** Opens the page for `token` and waits until guacamole-common-js says CONNECTED (state 3). */
export async function openGuacPage(
  page: Page,
  server: GuacPageServer,
  token: string,
): Promise<void> {
  await page.goto(`http://127.0.0.1:${server.port}/?token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => (globalThis as unknown as PageApi).guacState === 3, undefined, {
    timeout: 20_000,
  });
}

export const guacPage = {
  pixels: (page: Page) => page.evaluate(() => (globalThis as unknown as PageApi).readPixels()),
  error: (page: Page) => page.evaluate(() => (globalThis as unknown as PageApi).guacError),
  clipboardIn: (page: Page) => page.evaluate(() => (globalThis as unknown as PageApi).clipboardIn),
  sendClipboard: (page: Page, text: string) =>
    page.evaluate((t) => (globalThis as unknown as PageApi).sendClipboard(t), text),
  sendSize: (page: Page, w: number, h: number) =>
    page.evaluate(([x, y]) => (globalThis as unknown as PageApi).sendSize(x, y), [w, h] as const),
};
