import { DisplayGateway } from './server';
import { GuacStatus } from './guacamole/status';
import { startTestGateway } from '../testing/gateway-harness';
import { TestGuacClient } from '../testing/guac-client';
import { sleep, startTestVm, TestVm } from '../testing/qemu-vm';
import { pixelsDiffering } from '../testing/ppm';
import { DisplayMode, DisplayTicket } from '@forkdesk/agent-contract';
import type { Registry } from 'prom-client';

jest.setTimeout(120_000);

describe('display gateway with a real QEMU VM', () => {
  let vm: TestVm;
  let gw: DisplayGateway;
  let port: number;
  let registry: Registry;
  let ticket: (d: string, mode?: DisplayMode, over?: Partial<DisplayTicket>) => string;
  const desktops = new Map<string, string>();
  const clients: TestGuacClient[] = [];

  async function client(autoSync = true): Promise<TestGuacClient> {
    const c = await TestGuacClient.connect(port, autoSync);
    clients.push(c);
    return c;
  }

  async function refused(c: TestGuacClient, status: number): Promise<void> {
    const e = await c.waitFor((i) => i.opcode === 'error');
    expect(Number(e.args[1])).toBe(status);
    await c.waitClosed();
  }

  beforeAll(async () => {
    vm = await startTestVm('vga');
    desktops.set('d1', vm.vncSocket);
    desktops.set('ghost', '/nonexistent/vnc.sock');
    ({ gateway: gw, port, ticket, registry } = await startTestGateway(desktops));
    await vm.waitForContent();
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(async () => {
    await gw?.close();
    await vm?.stop();
  });

  it.each(['VERSION_1_1_0', 'VERSION_1_0_0'])(
    'handshakes with %s and shows the VM screen exactly',
    async (version) => {
      const c = await client();
      await c.handshake('d1', ticket('d1'), version);
      const args = c.received.find((i) => i.opcode === 'args');
      expect(args?.args).toEqual(['VERSION_1_1_0', 'desktop', 'ticket']);
      const ready = await c.waitFor((i) => i.opcode === 'ready');
      expect(ready.args[0]).toMatch(/^\$[0-9a-f-]{36}$/);
      await c.waitFor((i) => i.opcode === 'sync');
      expect((await c.untilMatches(() => vm.screendump())).match).toBe(1);
    },
  );

  it.each([
    ['an unknown protocol', ['select', 'rdp'], GuacStatus.UNSUPPORTED],
    ['an instruction before select', ['connect', 'x'], GuacStatus.CLIENT_BAD_REQUEST],
    ['mouse during the handshake', ['mouse', '1', '1', '0'], GuacStatus.CLIENT_BAD_REQUEST],
  ])('refuses %s', async (_n, first, status) => {
    const c = await client();
    if (first[0] === 'mouse') {
      c.send('select', 'vnc');
      await c.waitFor((i) => i.opcode === 'args');
    }
    c.send(first[0], ...first.slice(1));
    await refused(c, status);
  });

  it('refuses malformed and oversized input', async () => {
    const c1 = await client();
    c1.raw('6.select,3.vncX;');
    await refused(c1, GuacStatus.CLIENT_BAD_REQUEST);
    const c2 = await client();
    c2.raw('99999999.');
    await refused(c2, GuacStatus.CLIENT_OVERRUN);
    const c3 = await client();
    c3.raw('6.select,3.vnc;');
    for (let i = 0; i < 4; i++) c3.raw('60000.' + 'x'.repeat(60000) + ',');
    await refused(c3, GuacStatus.CLIENT_OVERRUN);
  });

  it.each([
    ['a bad signature', (t: string) => t.slice(0, -4) + 'AAAA', GuacStatus.CLIENT_UNAUTHORIZED],
    ['garbage', () => 'not-a-ticket', GuacStatus.CLIENT_UNAUTHORIZED],
    [
      'an expired ticket',
      () => ticket('d1', 'control', { exp: Date.now() - 1 }),
      GuacStatus.CLIENT_UNAUTHORIZED,
    ],
    ['a ticket for another desktop', () => ticket('d2'), GuacStatus.CLIENT_FORBIDDEN],
  ])('refuses %s', async (_n, make, status) => {
    const c = await client();
    await c.handshake('d1', make(ticket('d1')));
    await refused(c, status);
  });

  it('refuses a reused nonce', async () => {
    const t = ticket('d1');
    const a = await client();
    await a.handshake('d1', t);
    await a.waitFor((i) => i.opcode === 'ready');
    const b = await client();
    await b.handshake('d1', t);
    await refused(b, GuacStatus.CLIENT_UNAUTHORIZED);
  });

  it('refuses an unknown desktop and an unreachable one', async () => {
    const a = await client();
    await a.handshake('nope', ticket('nope'));
    await refused(a, GuacStatus.UPSTREAM_NOT_FOUND);
    const b = await client();
    await b.handshake('ghost', ticket('ghost'));
    await refused(b, GuacStatus.UPSTREAM_UNAVAILABLE);
  });

  it('refuses an unknown opcode after ready', async () => {
    const c = await client();
    await c.handshake('d1', ticket('d1'));
    await c.waitFor((i) => i.opcode === 'ready');
    c.send('frobnicate', 1);
    await refused(c, GuacStatus.CLIENT_BAD_REQUEST);
  });

  it('lets a view-only shadow watch, tells the controller, and ignores its input', async () => {
    // A fresh boot-menu prompt: it times out 65 s after boot, and a slow run reaches this test late.
    await vm.qmp('system_reset');
    await sleep(1000);
    const owner = await client();
    await owner.handshake('d1', ticket('d1'));
    const ready = await owner.waitFor((i) => i.opcode === 'ready');
    await owner.waitFor((i) => i.opcode === 'sync');
    const shadow = await client();
    await shadow.handshake('d1', ticket('d1', 'view', { user: 'admin' }));
    expect((await shadow.waitFor((i) => i.opcode === 'ready')).args[0]).toBe(ready.args[0]);
    const msg = await owner.waitFor((i) => i.opcode === 'msg');
    expect(msg.args).toEqual(['1', 'admin']);
    await shadow.waitFor((i) => i.opcode === 'sync');
    const { match, img } = await shadow.untilMatches(() => vm.screendump());
    expect(match).toBe(1);
    // Escape from the shadow must not reach the guest (SeaBIOS would open its boot menu): once
    // the gateway has taken both events, they were dropped, none forwarded.
    const input = async (result: string): Promise<number> =>
      (await registry.getSingleMetric('forkdesk_gateway_input_total')?.get())?.values.find(
        (v) => v.labels.kind === 'key' && v.labels.result === result,
      )?.value ?? 0;
    const [dropped, forwarded] = [await input('dropped'), await input('forwarded')];
    shadow.send('key', 0xff1b, 1);
    shadow.send('key', 0xff1b, 0);
    for (let i = 0; i < 250 && (await input('dropped')) < dropped + 2; i++) await sleep(20);
    expect(await input('dropped')).toBe(dropped + 2);
    expect(await input('forwarded')).toBe(forwarded);
    // The blinking text cursor changes 18 pixels; the boot menu ESC opens redraws thousands.
    expect(pixelsDiffering(await vm.screendump(), img)).toBeLessThan(100);
    shadow.close();
    expect((await owner.waitFor((i) => i.opcode === 'msg' && i.args[0] === '2')).args[1]).toBe(
      'admin',
    );
  });

  it('gives the keyboard to the newest controller: the previous one is told and closed, shadows stay', async () => {
    const first = await client();
    await first.handshake('d1', ticket('d1'));
    await first.waitFor((i) => i.opcode === 'sync');
    const shadow = await client();
    await shadow.handshake('d1', ticket('d1', 'view', { user: 'admin' }));
    await shadow.waitFor((i) => i.opcode === 'ready');
    const second = await client();
    await second.handshake('d1', ticket('d1'));
    await second.waitFor((i) => i.opcode === 'ready');
    await refused(first, GuacStatus.SESSION_CONFLICT);
    await sleep(300);
    expect(shadow.closed).toBe(false);
    expect(second.closed).toBe(false);
  });

  it('revokes a user: their connection closes within 2 s, older tickets are refused, new ones work', async () => {
    const owner = await client();
    const older = ticket('d1'); // issued before the revocation, not yet used
    await owner.handshake('d1', ticket('d1'));
    await owner.waitFor((i) => i.opcode === 'sync');
    const shadow = await client();
    await shadow.handshake('d1', ticket('d1', 'view', { user: 'admin' }));
    await shadow.waitFor((i) => i.opcode === 'ready');
    await sleep(5);
    const t0 = Date.now();
    expect(gw.revoke('d1', 'alice')).toBe(1);
    await refused(owner, GuacStatus.SESSION_CLOSED);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(shadow.closed).toBe(false);
    const late = await client();
    await late.handshake('d1', older);
    await refused(late, GuacStatus.CLIENT_UNAUTHORIZED);
    const fresh = await client();
    await fresh.handshake('d1', ticket('d1'));
    await fresh.waitFor((i) => i.opcode === 'ready');
    // Revoking the whole desktop ends everyone on it.
    await sleep(5);
    expect(gw.revoke('d1')).toBe(2);
    await refused(fresh, GuacStatus.SESSION_CLOSED);
    await refused(shadow, GuacStatus.SESSION_CLOSED);
  });

  it('joins by connection id with select,$id', async () => {
    const owner = await client();
    await owner.handshake('d1', ticket('d1'));
    const id = (await owner.waitFor((i) => i.opcode === 'ready')).args[0];
    const j = await client();
    await j.handshake('d1', ticket('d1', 'view'), 'VERSION_1_1_0', id);
    expect((await j.waitFor((i) => i.opcode === 'ready')).args[0]).toBe(id);
    const k = await client();
    await k.handshake(
      'd1',
      ticket('d1', 'view'),
      'VERSION_1_1_0',
      '$00000000-0000-0000-0000-000000000000',
    );
    await refused(k, GuacStatus.RESOURCE_NOT_FOUND);
  });

  it('sends no more than two frames to a client that never answers sync, while one that answers gets them all', async () => {
    // The console VM echoes every key: each keystroke changes the screen.
    const typing = await startTestVm('console');
    desktops.set('typing', typing.vncSocket);
    try {
      // A shadow: a second controller would take over from the first.
      const slow = await client(false);
      await slow.handshake('typing', ticket('typing', 'view'));
      await slow.waitFor((i) => i.opcode === 'sync');
      const ctrl = await client();
      await ctrl.handshake('typing', ticket('typing'));
      await ctrl.waitFor((i) => i.opcode === 'sync');
      const before = ctrl.count('sync');
      for (let i = 0; i < 20; i++) {
        ctrl.send('key', 0x61 + (i % 26), 1);
        ctrl.send('key', 0x61 + (i % 26), 0);
        await sleep(50);
      }
      // Positive control: in the same window the answering client saw the screen change often.
      await ctrl.waitFor(() => ctrl.count('sync') - before > 2, 10_000);
      expect(slow.count('sync')).toBeLessThanOrEqual(2);
      slow.send('sync', '0');
      slow.send('sync', '0');
      // Answered, the slow client gets frames again.
      await slow.waitFor(() => slow.count('sync') > 2, 10_000);
      expect(slow.closed).toBe(false);
    } finally {
      desktops.delete('typing');
      await typing.stop();
    }
  });

  it('answers nop and closes on disconnect', async () => {
    const c = await client();
    await c.handshake('d1', ticket('d1'));
    await c.waitFor((i) => i.opcode === 'ready');
    c.send('nop');
    c.send('disconnect');
    await c.waitClosed();
    expect(c.count('error')).toBe(0);
  });

  it('reports a VM that dies mid-session with UPSTREAM_ERROR and keeps serving others', async () => {
    const doomed = await startTestVm('console');
    desktops.set('doomed', doomed.vncSocket);
    const c = await client();
    await c.handshake('doomed', ticket('doomed'));
    await c.waitFor((i) => i.opcode === 'ready');
    await doomed.stop();
    await refused(c, GuacStatus.UPSTREAM_ERROR);
    const ok = await client();
    await ok.handshake('d1', ticket('d1'));
    await ok.waitFor((i) => i.opcode === 'sync');
  });
});

describe('display gateway before a ticket', () => {
  it('ends a connection without a ticket in time and caps ticketless ones per address', async () => {
    const { gateway, port, ticket } = await startTestGateway(new Map(), {
      ticketTimeoutMs: 400,
      maxPendingPerSource: 2,
    });
    const open: TestGuacClient[] = [];
    try {
      const a = await TestGuacClient.connect(port);
      const b = await TestGuacClient.connect(port);
      open.push(a, b);
      const c = await TestGuacClient.connect(port);
      open.push(c);
      const e = await c.waitFor((i) => i.opcode === 'error');
      expect(Number(e.args[1])).toBe(GuacStatus.CLIENT_TOO_MANY);
      // A ticket frees the slot at once (the desktop itself does not exist here).
      await a.handshake('gone', ticket('gone'));
      await a.waitFor((i) => i.opcode === 'error');
      const d = await TestGuacClient.connect(port);
      open.push(d);
      // Well before the 15 s handshake timeout: the ticket timer ended it.
      const timeout = await b.waitFor((i) => i.opcode === 'error', 5_000);
      expect(Number(timeout.args[1])).toBe(GuacStatus.CLIENT_TIMEOUT);
      expect(timeout.args[0]).toBe('no ticket presented in time');
      await b.waitClosed();
      // d got a slot (it was not refused as too many): it too times out without a ticket.
      const late = await d.waitFor((i) => i.opcode === 'error');
      expect(Number(late.args[1])).toBe(GuacStatus.CLIENT_TIMEOUT);
    } finally {
      open.forEach((x) => x.close());
      await gateway.close();
    }
  });
});
