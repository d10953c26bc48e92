import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import WebSocket from 'ws';
import { DisplayGateway } from '@forkdesk/hypervisor-agent';
import {
  GuacTransport,
  RgbImage,
  sleep,
  startTestGateway,
  startTestVm,
  TestGuacClient,
  TestVm,
} from '@forkdesk/hypervisor-agent/testing';
import { CHROMIUM } from '../support/chromium';
import { guacPage, GuacPageServer, openGuacPage, startGuacPageServer } from '../support/guac-page';

jest.setTimeout(120_000);

/**
 * The display path as the broker will run it: guacamole-lite on an HTTP server (which also serves
 * a page using guacamole-common-js), our gateway as its guacd, a real QEMU VM behind it.
 */
async function startDisplayPath(): Promise<{
  vm: TestVm;
  pages: GuacPageServer;
  stop: () => Promise<void>;
}> {
  const vm = await startTestVm('vga');
  let gw: DisplayGateway | undefined;
  try {
    const started = await startTestGateway(new Map([['d1', vm.vncSocket]]));
    gw = started.gateway;
    const pages = await startGuacPageServer(started.port, started.ticket);
    await vm.waitForContent();
    return {
      vm,
      pages,
      stop: async () => {
        await pages.stop();
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
    const ws = new WebSocket(`ws://127.0.0.1:${p.pages.port}/?token=${encodeURIComponent(token)}`);
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
    const c = await open(p.pages.token('d1'));
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
    const c = await open(p.pages.token('d1', 'control', { exp: Date.now() - 1000 }));
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
    const px = await guacPage.pixels(page);
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
    await openGuacPage(page, p.pages, p.pages.token('d1'));
    expect(await untilMatch(15_000)).toBe(1);

    const before = await p.vm.screendump();
    await page.keyboard.press('Escape');
    const after = await waitScreenChange(p.vm, before, 20_000);
    expect(after.rgb.equals(before.rgb)).toBe(false);
    expect(await untilMatch(15_000)).toBe(1);
    expect(await guacPage.error(page)).toBeUndefined();
  });
});
