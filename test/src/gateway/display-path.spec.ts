import { createCipheriv, randomBytes } from 'crypto';
import { buildSync } from 'esbuild';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import WebSocket from 'ws';
import { DisplayGateway } from '../../../hypervisor-agent/src/gateway/server';
import { startTestGateway } from '../../../hypervisor-agent/src/gateway/testkit/gateway-harness';
import {
  GuacTransport,
  TestGuacClient,
} from '../../../hypervisor-agent/src/gateway/testkit/guac-client';
import { RgbImage } from '../../../hypervisor-agent/src/gateway/testkit/ppm';
import { sleep, startTestVm, TestVm } from '../../../hypervisor-agent/src/gateway/testkit/qemu-vm';
import { DisplayMode, DisplayTicket } from '@forkdesk/agent-contract';
import { CHROMIUM } from '../support/chromium';

// guacamole-lite ships no types; its constructor is all we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const GuacamoleLite = require('guacamole-lite') as new (
  ws: { server: http.Server },
  guacd: { host: string; port: number },
  client: Record<string, unknown>,
) => { close(): void };

jest.setTimeout(120_000);

const CYPHER = 'AES-256-CBC';

/**
 * The display path as the broker will run it: guacamole-lite on an HTTP server (which also serves
 * a page using guacamole-common-js), our gateway as its guacd, a real QEMU VM behind it.
 */
async function startDisplayPath(): Promise<{
  vm: TestVm;
  wsPort: number;
  token: (desktop: string, mode?: DisplayMode, over?: Partial<DisplayTicket>) => string;
  stop: () => Promise<void>;
}> {
  const key = randomBytes(32);
  const vm = await startTestVm('vga');
  let gw: DisplayGateway | undefined;
  const httpServer = http.createServer((req, res) => {
    if (req.url === '/guacamole.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(guacamoleBundle());
    } else {
      res.setHeader('content-type', 'text/html');
      res.end(PAGE);
    }
  });
  try {
    const started = await startTestGateway(new Map([['d1', vm.vncSocket]]));
    gw = started.gateway;
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
    const quiet = (): void => undefined;
    const lite = new GuacamoleLite(
      { server: httpServer },
      { host: '127.0.0.1', port: 4822 },
      {
        crypt: { cypher: CYPHER, key },
        log: { level: 'ERRORS', stdLog: quiet, errorLog: quiet },
      },
    );
    await vm.waitForContent();
    // guacamole-lite's token: base64(JSON{iv, value}) of AES-256-CBC(JSON settings).
    const token = (
      desktop: string,
      mode: DisplayMode = 'control',
      over: Partial<DisplayTicket> = {},
    ): string => {
      const settings = {
        desktop,
        ticket: started.ticket(desktop, mode, over),
        width: 1024,
        height: 768,
      };
      const conn = {
        connection: { type: 'vnc', guacdHost: '127.0.0.1', guacdPort: started.port, settings },
      };
      const iv = randomBytes(16);
      const c = createCipheriv(CYPHER, key, iv);
      const value = Buffer.concat([c.update(JSON.stringify(conn), 'utf8'), c.final()]);
      return Buffer.from(
        JSON.stringify({ iv: iv.toString('base64'), value: value.toString('base64') }),
      ).toString('base64');
    };
    return {
      vm,
      wsPort: (httpServer.address() as AddressInfo).port,
      token,
      stop: async () => {
        lite.close();
        httpServer.closeAllConnections();
        await new Promise<void>((r) => httpServer.close(() => r()));
        await gw?.close();
        await vm.stop();
      },
    };
  } catch (e) {
    await gw?.close();
    await vm.stop();
    throw e;
  }
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
client.connect(location.search.slice(1));
</script></body></html>`;

function wsTransport(ws: WebSocket): GuacTransport {
  ws.on('error', () => undefined);
  return {
    send: (d) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(d.toString());
    },
    close: () => ws.close(),
    onData: (cb) => ws.on('message', (m: WebSocket.RawData) => cb(Buffer.from(m.toString()))),
    onClose: (cb) => ws.on('close', cb),
  };
}

async function waitScreenChange(vm: TestVm, before: RgbImage, ms: number): Promise<RgbImage> {
  const end = Date.now() + ms;
  let now = await vm.screendump();
  while (now.rgb.equals(before.rgb) && Date.now() < end) {
    await sleep(100);
    now = await vm.screendump();
  }
  return now;
}

describe('guacamole-lite → our gateway → QEMU', () => {
  let p: Awaited<ReturnType<typeof startDisplayPath>>;
  const clients: TestGuacClient[] = [];

  async function open(token: string): Promise<TestGuacClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${p.wsPort}/?token=${encodeURIComponent(token)}`);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const c = new TestGuacClient(wsTransport(ws));
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    p = await startDisplayPath();
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await p?.stop();
  });

  it('decodes to the VM screen (compared with a QMP screendump) and carries keystrokes', async () => {
    const c = await open(p.token('d1'));
    // guacamole-lite forwards `ready` as the tunnel's internal uuid instruction.
    await c.waitFor((i) => i.opcode === '' && i.args[0]?.startsWith('$'));
    await c.waitFor((i) => i.opcode === 'sync');
    const { match, img: before } = await c.untilMatches(() => p.vm.screendump());
    expect([c.width, c.height]).toEqual([before.width, before.height]);
    expect(match).toBe(1);

    // ESC through the whole chain opens SeaBIOS's boot menu: the guest's screen changes.
    c.send('key', 0xff1b, 1);
    c.send('key', 0xff1b, 0);
    const after = await waitScreenChange(p.vm, before, 20_000);
    expect(after.rgb.equals(before.rgb)).toBe(false);
    expect((await c.untilMatches(() => p.vm.screendump())).match).toBe(1);
  });

  it('passes a rejected ticket back as a Guacamole error', async () => {
    const c = await open(p.token('d1', 'control', { exp: Date.now() - 1000 }));
    const e = await c.waitFor((i) => i.opcode === 'error');
    expect(e.args[1]).toBe(String(0x0301));
  });
});

describe('Chromium with guacamole-common-js → guacamole-lite → gateway → QEMU', () => {
  let p: Awaited<ReturnType<typeof startDisplayPath>>;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  async function canvasMatch(): Promise<number> {
    const img = await p.vm.screendump();
    const px = await page.evaluate(() =>
      (
        globalThis as unknown as { readPixels(): { w: number; h: number; rgba: string } }
      ).readPixels(),
    );
    if (px.w !== img.width || px.h !== img.height) return 0;
    const rgba = Buffer.from(px.rgba, 'base64');
    let same = 0;
    for (let i = 0, j = 0; j < img.rgb.length; i += 4, j += 3) {
      if (
        rgba[i] === img.rgb[j] &&
        rgba[i + 1] === img.rgb[j + 1] &&
        rgba[i + 2] === img.rgb[j + 2]
      )
        same++;
    }
    return same / (img.width * img.height);
  }

  async function untilMatch(ms: number): Promise<number> {
    const end = Date.now() + ms;
    let m = await canvasMatch();
    while (m < 1 && Date.now() < end) {
      await sleep(200);
      m = await canvasMatch();
    }
    return m;
  }

  beforeAll(async () => {
    p = await startDisplayPath();
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'forkdesk-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      ...CHROMIUM,
    });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await p?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('shows the VM screen in the canvas and typing changes the guest screen', async () => {
    await page.goto(`http://127.0.0.1:${p.wsPort}/?token=${encodeURIComponent(p.token('d1'))}`);
    // Guacamole.Client state 3 = CONNECTED.
    await page.waitForFunction(
      () => (globalThis as unknown as { guacState: number }).guacState === 3,
      undefined,
      { timeout: 20_000 },
    );
    expect(await untilMatch(15_000)).toBe(1);

    const before = await p.vm.screendump();
    await page.keyboard.press('Escape');
    const after = await waitScreenChange(p.vm, before, 20_000);
    expect(after.rgb.equals(before.rgb)).toBe(false);
    expect(await untilMatch(15_000)).toBe(1);
    expect(
      await page.evaluate(() => (globalThis as unknown as { guacError?: number }).guacError),
    ).toBeUndefined();
  });
});
