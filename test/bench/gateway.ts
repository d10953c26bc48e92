// Display gateway benchmark: keystroke → pixels with a bare RFB client on QEMU's VNC socket and
// through the gateway (same run), encoder throughput and frame sizes. Run: npx tsx test/bench/gateway.ts
import {
  encodeJpeg,
  encodePng,
  encodeRegion,
  engineDisplayResolver,
  RfbClient,
  RfbEncodingName,
} from '@forkdesk/hypervisor-agent';
import {
  sleep,
  startTestGateway,
  startTestVm,
  TestGuacClient,
  TestVm,
} from '@forkdesk/hypervisor-agent/testing';
import { type Figure, percentile, writeReport } from '../src/support/bench-report';
import { forkDesktop, freezeGoldenTemplate, openGoldenLab } from '../src/support/golden-desktop';

const ESC = 0xff1b;
const KEY_A = 0x61;
const BACKSPACE = 0xff08;
/** RFB encodings for both paths (BENCH_ENCODING=zrle to compare QEMU's compression cost). */
const ENCODINGS: RfbEncodingName[] = [
  (process.env.BENCH_ENCODING as RfbEncodingName | undefined) ?? 'raw',
];

const p50 = (xs: number[]): number => percentile(xs, 50);
const round = (v: number, d = 1): number => Math.round(v * 10 ** d) / 10 ** d;
/** A latency figure: lower is better. */
const ms = (value: number, target?: number): Figure => ({
  value,
  unit: 'ms',
  ...(target === undefined ? {} : { target }),
  better: 'lower',
});

/** Routes a bare client's updates to the callback most recently given (one measurement each). */
function watchUpdates(c: RfbClient): (cb: () => void) => void {
  let got: (() => void) | undefined;
  c.setListener({
    onUpdate: () => got?.(),
    onResize: () => undefined,
    onCursor: () => undefined,
    onCutText: () => undefined,
    onClose: () => undefined,
  });
  return (cb) => {
    got = cb;
  };
}

/** Bare RFB: time from KeyEvent to the first FramebufferUpdate that completes after it. */
async function rfbKeyLatency(vm: TestVm, keysym: number, nudge = false): Promise<number> {
  const c = await RfbClient.connect(vm.vncSocket, { encodings: ENCODINGS });
  try {
    const onUpdate = watchUpdates(c);
    await sleep(400); // initial full update done; QEMU's refresh timer backs off a little
    return await measureKey(c, keysym, onUpdate, nudge);
  } finally {
    c.close();
  }
}

/** Fraction of pixels that differ: tells the keystroke's redraw from a blinking cursor. */
function changed(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) return 1;
  let n = 0;
  for (let i = 0; i < a.length; i += 4) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++;
  }
  return n / (a.length / 4);
}

async function measureKey(
  c: RfbClient,
  keysym: number,
  onUpdate: (cb: () => void) => void,
  nudge: boolean,
  minChange = 0.002,
): Promise<number> {
  const before = Buffer.from(c.framebuffer.data);
  const t0 = performance.now();
  const updated = new Promise<number>((r) =>
    onUpdate(() => {
      if (changed(before, c.framebuffer.data) > minChange) r(performance.now() - t0);
    }),
  );
  c.key(keysym, true);
  c.key(keysym, false);
  // A PointerEvent that repeats the last position is a no-op for the guest, but any client
  // message of type > 3 resets QEMU's VNC refresh interval to its 30 ms base.
  const timer = nudge ? setInterval(() => c.pointer(0, 0, 0), 15) : undefined;
  try {
    return await Promise.race([updated, sleep(10_000).then(() => Number.NaN)]);
  } finally {
    if (timer) clearInterval(timer);
  }
}

/** Through the gateway: key instruction → the next `sync` after an `img` (pixels decoded). */
async function gatewayKeyLatency(
  port: number,
  ticket: string,
  keysym: number,
  typist?: TestGuacClient,
  minChange = 0.002,
): Promise<number> {
  const c = typist ?? (await TestGuacClient.connect(port));
  if (!typist) {
    await c.handshake('d', ticket);
    await c.waitFor((i) => i.opcode === 'sync');
    await sleep(400);
  }
  const before = Buffer.from(c.canvas);
  const from = c.received.length;
  const t0 = performance.now();
  c.send('key', keysym, 1);
  c.send('key', keysym, 0);
  await c.waitFor(
    (i) => i.opcode === 'sync' && changed(before, c.canvas) > minChange,
    10_000,
    from,
  );
  const dt = performance.now() - t0;
  if (!typist) c.close();
  return dt;
}

async function guestSamples(
  n: number,
): Promise<{ bare: number[]; nudged: number[]; gateway: number[] }> {
  const out = { bare: [] as number[], nudged: [] as number[], gateway: [] as number[] };
  for (let i = 0; i < n; i++) {
    for (const mode of ['bare', 'nudged', 'gateway'] as const) {
      const vm = await startTestVm('vga');
      try {
        await vm.waitForContent();
        await sleep(300);
        if (mode === 'gateway') {
          const { gateway, port, ticket } = await startTestGateway(new Map([['d', vm.vncSocket]]), {
            rfbEncodings: ENCODINGS,
          });
          try {
            out.gateway.push(await gatewayKeyLatency(port, ticket('d'), ESC));
          } finally {
            await gateway.close();
          }
        } else {
          out[mode].push(await rfbKeyLatency(vm, ESC, mode === 'nudged'));
        }
      } finally {
        await vm.stop();
      }
    }
  }
  return out;
}

async function consoleSamples(
  n: number,
): Promise<{ bare: number[]; gateway: number[]; text: Buffer; w: number; h: number }> {
  const vm = await startTestVm('console');
  const { gateway, port, ticket } = await startTestGateway(new Map([['d', vm.vncSocket]]), {
    rfbEncodings: ENCODINGS,
  });
  try {
    const bare: number[] = [];
    const gw: number[] = [];
    const c = await RfbClient.connect(vm.vncSocket, { encodings: ENCODINGS });
    const onUpdate = watchUpdates(c);
    await sleep(500);
    for (let i = 0; i < n; i++) {
      bare.push(await measureKey(c, i % 2 ? BACKSPACE : KEY_A, onUpdate, false, 0));
      await sleep(150 + (i % 5) * 100);
    }
    c.close();
    const g = await TestGuacClient.connect(port);
    await g.handshake('d', ticket('d'));
    await g.waitFor((i) => i.opcode === 'sync');
    await sleep(500);
    for (let i = 0; i < n; i++) {
      gw.push(await gatewayKeyLatency(port, '', i % 2 ? BACKSPACE : KEY_A, g, 0));
      await sleep(150 + (i % 5) * 100);
    }
    // Fill the console with text for the encoder figures: `help` lists every monitor command.
    for (const ch of 'help') {
      g.send('key', ch.charCodeAt(0), 1);
      g.send('key', ch.charCodeAt(0), 0);
    }
    g.send('key', 0xff0d, 1);
    g.send('key', 0xff0d, 0);
    await sleep(1500);
    g.close();
    const rec = await RfbClient.connect(vm.vncSocket, { encodings: ['raw'] });
    await sleep(500);
    const fb = rec.framebuffer;
    const text = Buffer.from(fb.data);
    rec.close();
    return { bare, gateway: gw, text, w: fb.width, h: fb.height };
  } finally {
    await gateway.close();
    await vm.stop();
  }
}

/**
 * The golden desktop, end to end: an xterm in a forked user's session; keystrokes straight to
 * QEMU's VNC (bare RFB) and through the gateway, each with and without the input refresh boost,
 * interleaved so the machine's noise hits all four alike.
 */
async function goldenSamples(
  n: number,
): Promise<Record<GoldenMode, number[]> & { missed: Record<GoldenMode, number> }> {
  const lab = await openGoldenLab('bench-gateway');
  try {
    const { templateId } = await freezeGoldenTemplate(lab);
    const d = await forkDesktop(lab, templateId, { user: 'bench', hostname: 'desk-bench' });
    // Detached from the guest agent's pipes, or the exec would wait for xterm to end.
    await lab.engine.exec(d.id, {
      command: [
        'runuser',
        '-u',
        'bench',
        '--',
        'sh',
        '-c',
        'export DISPLAY=:0 XAUTHORITY=/run/forkdesk/user.xauth; ' +
          'setsid -f xterm -geometry 80x24+200+150 >/dev/null 2>&1 </dev/null',
      ],
    });
    await sleep(8000); // xterm's first draw on TCG
    const vnc = lab.engine.vmRecord(d.id)?.spec.vncSocket ?? '';
    const out: Record<GoldenMode, number[]> = {
      rfb: [],
      rfb_boost: [],
      gateway: [],
      gateway_boost: [],
    };
    const rfb = async (boost: number) => {
      const c = await RfbClient.connect(vnc, { encodings: ENCODINGS, inputBoostMs: boost });
      const onUpdate = watchUpdates(c);
      c.pointer(1200, 700, 0);
      return { c, on: onUpdate };
    };
    const gw = async (boost: number) => {
      const g = await startTestGateway(new Map(), {
        resolver: engineDisplayResolver(lab.engine),
        rfbEncodings: ENCODINGS,
        inputBoostMs: boost,
      });
      const c = await TestGuacClient.connect(g.port);
      await c.handshake(d.id, g.ticket(d.id));
      await c.waitFor((i) => i.opcode === 'sync');
      c.send('mouse', 1200, 700, 0);
      return { g, c };
    };
    const bare = await rfb(0);
    const boosted = await rfb(250);
    const plain = await gw(0);
    const quick = await gw(250);
    try {
      await sleep(1000);
      for (let i = 0; i < n; i++) {
        const key = i % 2 ? BACKSPACE : KEY_A;
        for (const mode of GOLDEN_MODES) {
          // Idle gaps like a typist's, long enough for QEMU's refresh timer to back off.
          await sleep(300 + (i % 4) * 150);
          if (mode === 'rfb' || mode === 'rfb_boost') {
            const r = mode === 'rfb' ? bare : boosted;
            out[mode].push(await measureKey(r.c, key, r.on, false, 0));
          } else {
            const t = mode === 'gateway' ? plain : quick;
            out[mode].push(await gatewayKeyLatency(t.g.port, '', key, t.c, 0));
          }
        }
      }
    } finally {
      for (const r of [bare, boosted]) r.c.close();
      for (const t of [plain, quick]) {
        t.c.close();
        await t.g.gateway.close();
      }
    }
    // A keystroke whose echo never came (10 s) is counted apart, not averaged in.
    const missed = Object.fromEntries(
      GOLDEN_MODES.map((m) => [m, out[m].filter((v) => Number.isNaN(v)).length]),
    ) as Record<GoldenMode, number>;
    for (const m of GOLDEN_MODES) out[m] = out[m].filter((v) => !Number.isNaN(v));
    return { ...out, missed };
  } finally {
    await lab.close();
  }
}

const GOLDEN_MODES = ['rfb', 'rfb_boost', 'gateway', 'gateway_boost'] as const;
type GoldenMode = (typeof GOLDEN_MODES)[number];

/** A synthetic photo-like frame: smooth gradients, texture and noise (no photo ships with us). */
function photoFrame(w: number, h: number): Buffer {
  const b = Buffer.alloc(w * h * 4);
  let seed = 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = (seed >> 16) % 24;
      const o = (y * w + x) * 4;
      b[o] = (128 + 100 * Math.sin(x / 37) * Math.cos(y / 53) + n) & 255;
      b[o + 1] = (128 + 90 * Math.sin((x + y) / 71) + n) & 255;
      b[o + 2] = (128 + 110 * Math.cos(Math.hypot(x - w / 2, y - h / 2) / 29) + n) & 255;
      b[o + 3] = 255;
    }
  }
  return b;
}

function timeEncode(fn: () => Buffer, reps: number): { ms: number; bytes: number } {
  fn();
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < reps; i++) bytes = fn().length;
  return { ms: (performance.now() - t0) / reps, bytes };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const guest = await guestSamples(Number(process.env.BENCH_GUEST_SAMPLES ?? 5));
  const cons = await consoleSamples(Number(process.env.BENCH_CONSOLE_SAMPLES ?? 40));
  const golden = await goldenSamples(Number(process.env.BENCH_GOLDEN_SAMPLES ?? 30));

  const W = 1280;
  const H = 800;
  if (cons.w !== W || cons.h !== H)
    throw new Error(`console is ${cons.w}x${cons.h}, expected ${W}x${H}`);
  const photo = photoFrame(W, H);
  const text = timeEncode(() => encodePng(cons.text, W, H), 20);
  const jpeg = timeEncode(() => encodeJpeg(photo, W, H, 80), 20);
  const photoPng = timeEncode(() => encodePng(photo, W, H), 5);
  const chosen = encodeRegion(photo, W, H, { allowJpeg: true });
  const mpix = (2 * W * H) / 1e6 / ((text.ms + jpeg.ms) / 1000);

  const figures: Record<string, Figure> = {
    // The golden desktop end to end, as users get it (input boost on).
    key_to_pixel_p50_ms: ms(round(p50(golden.gateway_boost)), 30),
    key_to_pixel_p95_ms: ms(round(percentile(golden.gateway_boost, 95))),
    golden_rfb_key_to_update_p50_ms: ms(round(p50(golden.rfb))),
    // The same desktop straight from QEMU's VNC (boost on): the gateway's share is the difference.
    rfb_key_to_update_p50_ms: ms(round(p50(golden.rfb_boost))),
    golden_gateway_no_boost_key_to_pixel_p50_ms: ms(round(p50(golden.gateway))),
    seabios_key_to_pixel_p50_ms: ms(round(p50(guest.gateway))),
    gateway_added_ms: ms(round(p50(cons.gateway) - p50(cons.bare)), 5),
    seabios_rfb_key_to_update_p50_ms: ms(round(p50(guest.bare))),
    seabios_rfb_key_to_update_nudged_p50_ms: ms(round(p50(guest.nudged))),
    console_rfb_key_to_update_p50_ms: ms(round(p50(cons.bare))),
    console_gateway_key_to_pixel_p50_ms: ms(round(p50(cons.gateway))),
    text_fps: { value: round(1000 / text.ms), unit: 'frames/s', target: 30, better: 'higher' },
    encode_mpix_s: { value: round(mpix), unit: 'Mpixel/s', better: 'higher' },
    text_frame_kib: { value: round(text.bytes / 1024), unit: 'KiB', better: 'lower' },
    photo_frame_kib: {
      value: round(chosen.data.length / 1024),
      unit: 'KiB',
      better: 'lower',
    },
    photo_frame_png_kib: {
      value: round(photoPng.bytes / 1024),
      unit: 'KiB',
      better: 'lower',
    },
  };

  const samples = [
    ...GOLDEN_MODES.map(
      (m) =>
        `golden desktop xterm, ${m}: p50 ${round(p50(golden[m]))} p95 ${round(percentile(golden[m], 95))} ms` +
        ` (${golden[m].length} keys echoed, ${golden.missed[m]} not within 10 s)`,
    ),
    `guest (SeaBIOS ESC, fresh VM each): bare ${guest.bare.map((v) => round(v)).join(' ')} | nudged ${guest.nudged.map((v) => round(v)).join(' ')} | gateway ${guest.gateway.map((v) => round(v)).join(' ')}`,
    `console (QEMU monitor echo): bare p50 ${round(p50(cons.bare))} max ${round(Math.max(...cons.bare))} | gateway p50 ${round(p50(cons.gateway))} max ${round(Math.max(...cons.gateway))}`,
    `encode: text PNG ${round(text.ms, 2)} ms, photo JPEG ${round(jpeg.ms, 2)} ms (${chosen.mime}), photo PNG ${round(photoPng.ms, 2)} ms`,
  ];
  process.stdout.write([...samples, `took ${round((Date.now() - t0) / 1000)} s`, ''].join('\n'));
  writeReport('gateway', figures);
}

main().catch((e: unknown) => {
  process.stderr.write(`gateway bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
