import * as net from 'net';
import { encodeInstruction } from './guacamole/encoder';
import { DisplayGateway } from './server';
import { startTestGateway } from '../testing/gateway-harness';
import { TestGuacClient } from '../testing/guac-client';
import { startTestVm, TestVm } from '../testing/qemu-vm';
import { DisplayMode, DisplayTicket } from '@forkdesk/agent-contract';

jest.setTimeout(240_000);

const STREAMS = 10_000;
const PARALLEL = 64;

/** Deterministic PRNG (mulberry32) so a failing stream can be replayed from its seed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPCODES = [
  'select',
  'args',
  'size',
  'audio',
  'video',
  'image',
  'timezone',
  'connect',
  'mouse',
  'key',
  'sync',
  'clipboard',
  'blob',
  'end',
  'ack',
  'nop',
  'disconnect',
  'img',
  'copy',
  'zzz',
  '',
];
const VALUES = [
  'vnc',
  'VERSION_1_1_0',
  'VERSION_1_0_0',
  'd1',
  '-1',
  '0',
  '65535',
  '4294967296',
  '1e9',
  'text/plain',
  'aGVsbG8=',
  '😀',
  '',
  ',',
  ';',
  '.',
  '$x',
];

function stream(
  r: () => number,
  ticket: (d: string, m?: DisplayMode, o?: Partial<DisplayTicket>) => string,
): Buffer {
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)];
  const kind = r();
  if (kind < 0.15)
    return Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256)));
  const parts: string[] = [];
  // Most streams start like a real handshake so the fuzzing reaches deeper states.
  if (kind < 0.7) {
    parts.push(
      encodeInstruction('select', 'vnc'),
      encodeInstruction('size', 1024, 768, 96),
      encodeInstruction('image', 'image/png'),
    );
    const valid = r() < 0.03;
    parts.push(
      encodeInstruction(
        'connect',
        pick(['VERSION_1_1_0', 'VERSION_1_0_0', 'x']),
        'd1',
        valid
          ? ticket('d1', pick(['view', 'control']))
          : ticket(pick(['d1', 'd2']), 'control', { exp: Date.now() - 1 }),
      ),
    );
  }
  for (let n = Math.floor(r() * 12); n > 0; n--) {
    const args = Array.from({ length: Math.floor(r() * 5) }, () =>
      r() < 0.7 ? pick(VALUES) : String(Math.floor(r() * 70000) - 1000),
    );
    parts.push(encodeInstruction(pick(OPCODES), ...args));
  }
  const b = Buffer.from(parts.join(''));
  // Mutations: flip bytes, truncate, insert length digits, duplicate a slice.
  for (let m = Math.floor(r() * 4); m > 0 && b.length > 0; m--)
    b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
  if (r() < 0.2) return b.subarray(0, Math.floor(r() * b.length));
  if (r() < 0.1) return Buffer.concat([b, Buffer.from('9999999999.')]);
  if (r() < 0.1) return Buffer.concat([b, b.subarray(Math.floor(r() * b.length))]);
  return b;
}

/** Sends one stream in random-sized pieces and closes; resolves whatever the server does. */
function throwAt(port: number, data: Buffer, r: () => number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.createConnection(port, '127.0.0.1');
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve();
    };
    const t = setTimeout(done, 300);
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => undefined);
    s.on('connect', () => {
      for (let o = 0; o < data.length;) {
        const n = 1 + Math.floor(r() * 64);
        s.write(data.subarray(o, o + n));
        o += n;
      }
      if (r() < 0.5) s.end();
    });
  });
}

describe('gateway fuzzing', () => {
  let vm: TestVm;
  let gw: DisplayGateway;
  let port: number;
  let ticket: (d: string, m?: DisplayMode, o?: Partial<DisplayTicket>) => string;

  beforeAll(async () => {
    vm = await startTestVm('vga');
    ({
      gateway: gw,
      port,
      ticket,
    } = await startTestGateway(new Map([['d1', vm.vncSocket]]), { handshakeTimeoutMs: 1000 }));
    await vm.waitForContent();
  });
  afterAll(async () => {
    await gw?.close();
    await vm?.stop();
  });

  it(`survives ${STREAMS} random and mutated instruction streams and still serves a session`, async () => {
    const r = rng(20251125);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < STREAMS) {
        next++;
        await throwAt(port, stream(r, ticket), r);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(next).toBeGreaterThanOrEqual(STREAMS);

    const errors = await gw.metrics.errors.get();
    const total = errors.values.reduce((a, v) => a + v.value, 0);
    expect(total).toBeGreaterThan(STREAMS / 2);

    const c = await TestGuacClient.connect(port);
    try {
      await c.handshake('d1', ticket('d1'));
      await c.waitFor((i) => i.opcode === 'ready');
      await c.waitFor((i) => i.opcode === 'sync');
      expect((await c.untilMatches(() => vm.screendump())).match).toBe(1);
    } finally {
      c.close();
    }
  });
});
