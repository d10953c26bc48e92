/** @jest-environment jsdom */
import { DisplaySession, type ViewerPhase } from './session';

// A fake of guacamole-common-js: records what the session does with tunnels, clients and input.
const fake = {
  tunnels: [] as FakeTunnel[],
  clients: [] as FakeClient[],
  keyboards: [] as FakeKeyboard[],
};

class FakeTunnel {
  onerror: ((s: { code: number }) => void) | null = null;
  onstatechange: ((s: number) => void) | null = null;
  constructor(readonly url: string) {
    fake.tunnels.push(this);
  }
}
class FakeDisplay {
  scaled = 1;
  onresize: (() => void) | null = null;
  oncursor: unknown = null;
  readonly el = document.createElement('div');
  getElement = () => this.el;
  getWidth = () => 1280;
  getHeight = () => 800;
  scale = (s: number) => {
    this.scaled = s;
  };
  showCursor = () => undefined;
  /** The frames are drawn when `drawPending()` runs the callbacks waiting on them. */
  pending: (() => void)[] = [];
  flush = (cb: () => void) => {
    this.pending.push(cb);
  };
  drawPending = () => this.pending.splice(0).forEach((cb) => cb());
}
class FakeClient {
  display = new FakeDisplay();
  connectData?: string;
  keys: [number, number][] = [];
  sizes: [number, number][] = [];
  disconnected = false;
  onstatechange: ((s: number) => void) | null = null;
  onerror: ((s: { code: number }) => void) | null = null;
  onclipboard: unknown = null;
  onsync: ((t: number) => void) | null = null;
  constructor(readonly tunnel: FakeTunnel) {
    fake.clients.push(this);
  }
  getDisplay = () => this.display;
  connect = (data: string) => {
    this.connectData = data;
  };
  disconnect = () => {
    this.disconnected = true;
  };
  sendKeyEvent = (p: number, k: number) => this.keys.push([p, k]);
  sendSize = (w: number, h: number) => this.sizes.push([w, h]);
  sendMouseState = () => undefined;
}
class FakeKeyboard {
  onkeydown: ((k: number) => boolean | void) | null = null;
  onkeyup: ((k: number) => void) | null = null;
  constructor() {
    fake.keyboards.push(this);
  }
  reset = () => undefined;
}
class FakeMouse {
  onEach = () => undefined;
  setCursor = () => true;
}

jest.mock('guacamole-common-js', () => ({
  __esModule: true,
  // Getters: jest hoists this factory above the fake classes.
  default: {
    get WebSocketTunnel() {
      return FakeTunnel;
    },
    get Client() {
      return FakeClient;
    },
    get Keyboard() {
      return FakeKeyboard;
    },
    get Mouse() {
      return FakeMouse;
    },
  },
}));

/** Lets the session's awaited ticket promise settle (microtasks only: works with fake timers). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function setup(readOnly = false) {
  fake.tunnels = [];
  fake.clients = [];
  fake.keyboards = [];
  const host = document.createElement('div');
  const box = document.createElement('div');
  Object.defineProperty(box, 'clientWidth', { value: 1000 });
  Object.defineProperty(box, 'clientHeight', { value: 600 });
  const phases: [ViewerPhase, string | undefined][] = [];
  let n = 0;
  const menu = jest.fn();
  const drawn = jest.fn();
  const picture = { shown: false };
  const s = new DisplaySession(
    host,
    box,
    {
      readOnly,
      getTicket: async () => ({ tunnelPath: '/tunnel', token: `t${++n}` }),
      hasPicture: () => picture.shown,
    },
    { phase: (p, d) => phases.push([p, d]), clipboard: () => undefined, menu, drawn },
  );
  return { s, host, phases, menu, drawn, picture };
}

describe('display session', () => {
  afterEach(() => jest.useRealTimers());

  it('connects through the tunnel with the token and the window size, and fits the display', async () => {
    const { s, host, phases } = setup();
    s.start();
    await flush();
    expect(fake.tunnels[0].url).toBe('ws://localhost/tunnel');
    expect(fake.clients[0].connectData).toBe('token=t1&width=1000&height=600&dpi=96');
    expect(host.firstChild).toBe(fake.clients[0].display.el);
    fake.clients[0].onstatechange?.(3);
    expect(phases.at(-1)).toEqual(['connected', undefined]);
    expect(fake.clients[0].display.scaled).toBe(0.75); // 1280×800 into 1000×600
    s.close();
    expect(fake.clients[0].disconnected).toBe(true);
  });

  it('reports the first picture with content only once it is there, once', async () => {
    jest.useFakeTimers();
    const { s, phases, drawn, picture } = setup();
    s.start();
    await flush();
    fake.clients[0].onstatechange?.(3);
    expect(phases.at(-1)?.[0]).toBe('connected');
    jest.advanceTimersByTime(1000); // connected, but a flat colour so far
    expect(drawn).not.toHaveBeenCalled();
    picture.shown = true;
    jest.advanceTimersByTime(150);
    expect(drawn).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1000);
    expect(drawn).toHaveBeenCalledTimes(1);
    s.close();
  });

  it('reports the first picture as soon as the frame that has it is drawn, not at the next look', async () => {
    jest.useFakeTimers();
    const { s, drawn, picture } = setup();
    s.start();
    await flush();
    const client = fake.clients[0];
    client.onstatechange?.(3);
    client.onsync?.(1); // a flat frame
    client.display.drawPending();
    expect(drawn).not.toHaveBeenCalled();
    picture.shown = true;
    client.onsync?.(2); // the frame with the picture, still being drawn
    expect(drawn).not.toHaveBeenCalled();
    client.display.drawPending();
    expect(drawn).toHaveBeenCalledTimes(1);
    expect(client.onsync).toBeNull();
    s.close();
  });

  it('reconnects with a fresh ticket after a dropped socket', async () => {
    jest.useFakeTimers();
    const { s, phases } = setup();
    s.start();
    await flush();
    fake.clients[0].onstatechange?.(3);
    fake.tunnels[0].onerror?.({ code: 0x0202 });
    fake.clients[0].onstatechange?.(5);
    expect(phases.at(-1)?.[0]).toBe('reconnecting');
    jest.advanceTimersByTime(1000);
    await flush();
    expect(fake.clients).toHaveLength(2);
    expect(fake.clients[1].connectData).toMatch(/^token=t2&/);
    fake.clients[1].onstatechange?.(3);
    expect(phases.at(-1)?.[0]).toBe('connected');
    s.close();
  });

  it('reconnects when the socket closes without the client noticing (agent or broker died)', async () => {
    jest.useFakeTimers();
    const { s, phases } = setup();
    s.start();
    await flush();
    fake.clients[0].onstatechange?.(3);
    fake.tunnels[0].onstatechange?.(2); // Guacamole.Tunnel.State.CLOSED
    expect(phases.at(-1)?.[0]).toBe('reconnecting');
    fake.clients[0].onstatechange?.(5); // a late disconnect is not a second drop
    jest.advanceTimersByTime(1000);
    await flush();
    expect(fake.clients).toHaveLength(2);
    s.close();
  });

  it('does not reconnect a session that was closed on purpose', async () => {
    const { s, phases } = setup();
    s.start();
    await flush();
    fake.clients[0].onerror?.({ code: 0x020b });
    fake.clients[0].onstatechange?.(5);
    expect(phases.at(-1)).toEqual(['ended', 'The desktop session was closed.']);
    s.close();
  });

  it('forwards keys, opens the menu on Ctrl+Alt+Shift, sends combos and resizes', async () => {
    const { s, menu } = setup();
    s.start();
    await flush();
    const kb = fake.keyboards[0];
    const client = fake.clients[0];
    expect(kb.onkeydown?.(0x61)).toBe(true);
    kb.onkeyup?.(0x61);
    expect(client.keys).toEqual([
      [1, 0x61],
      [0, 0x61],
    ]);
    kb.onkeydown?.(0xffe3);
    kb.onkeydown?.(0xffe9);
    expect(kb.onkeydown?.(0xffe1)).toBe(false);
    expect(menu).toHaveBeenCalledTimes(1);
    client.keys = [];
    s.sendCombo([0xffe3, 0xffe9, 0xffff]);
    expect(client.keys.map(([p]) => p)).toEqual([1, 1, 1, 0, 0, 0]);
    s.resize(); // same size as connected with: nothing sent
    expect(client.sizes).toEqual([]);
    s.close();
  });

  it('sends no input when read-only (shadowing)', async () => {
    const { s } = setup(true);
    s.start();
    await flush();
    expect(fake.keyboards).toHaveLength(0);
    s.sendCombo([0xffe3]);
    s.sendClipboard('x');
    expect(fake.clients[0].keys).toEqual([]);
    s.close();
  });
});
