import { startTestVm, TestVm, sleep } from '../../testing/qemu-vm';
import { RgbImage } from '../../testing/ppm';
import { Framebuffer } from './framebuffer';
import { RfbClient, RfbEncodingName, UpdateOp } from './client';

jest.setTimeout(120_000);

/** Fraction of pixels where the framebuffer equals the screendump. */
export function matchFraction(fb: Framebuffer, img: RgbImage): number {
  if (fb.width !== img.width || fb.height !== img.height) return 0;
  let same = 0;
  for (let i = 0, j = 0; i < fb.data.length; i += 4, j += 3) {
    if (
      fb.data[i] === img.rgb[j + 2] &&
      fb.data[i + 1] === img.rgb[j + 1] &&
      fb.data[i + 2] === img.rgb[j]
    )
      same++;
  }
  return same / (fb.width * fb.height);
}

async function connected(
  vm: TestVm,
  encodings: RfbEncodingName[],
): Promise<{ c: RfbClient; ops: UpdateOp[] }> {
  const c = await RfbClient.connect(vm.vncSocket, { encodings });
  const ops: UpdateOp[] = [];
  c.setListener({
    onUpdate: (o) => ops.push(...o),
    onResize: () => undefined,
    onCursor: () => undefined,
    onCutText: () => undefined,
    onClose: () => undefined,
  });
  return { c, ops };
}

async function until(ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

describe('RfbClient on a real QEMU VNC socket', () => {
  let vm: TestVm;
  beforeAll(async () => {
    vm = await startTestVm('vga');
    await vm.waitForContent();
  });
  afterAll(async () => vm?.stop());

  it.each([['zrle'], ['raw'], ['zlib']] as [RfbEncodingName][])(
    'mirrors the VM screen exactly with %s',
    async (enc) => {
      const { c, ops } = await connected(vm, [enc]);
      try {
        await until(() => ops.length > 0, 10_000);
        let last = 0;
        await until(async () => {
          last = matchFraction(c.framebuffer, await vm.screendump());
          return last === 1;
        }, 10_000);
        expect(last).toBe(1);
      } finally {
        c.close();
      }
    },
  );

  it('sends a guest keystroke and sees the screen change (SeaBIOS boot menu)', async () => {
    const { c, ops } = await connected(vm, ['zrle']);
    try {
      await until(
        () =>
          matchFraction(c.framebuffer, { width: 0, height: 0, rgb: Buffer.alloc(0) }) === 0 &&
          ops.length > 0,
        10_000,
      );
      const before = Buffer.from(c.framebuffer.data);
      const n = ops.length;
      c.key(0xff1b, true); // Escape
      c.key(0xff1b, false);
      await until(() => ops.length > n && !before.equals(c.framebuffer.data), 20_000);
      await until(async () => matchFraction(c.framebuffer, await vm.screendump()) === 1, 10_000);
    } finally {
      c.close();
    }
  });

  it('reports the VM dying', async () => {
    const other = await startTestVm('console');
    const c = await RfbClient.connect(other.vncSocket);
    const closed = new Promise<Error | undefined>((r) =>
      c.setListener({
        onUpdate: () => undefined,
        onResize: () => undefined,
        onCursor: () => undefined,
        onCutText: () => undefined,
        onClose: r,
      }),
    );
    await other.stop();
    expect((await closed)?.message).toEqual(expect.any(String));
  });

  it('fails cleanly on a socket that is not there', async () => {
    await expect(RfbClient.connect('/nonexistent/vnc.sock')).rejects.toThrow();
  });
});
