import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  classifyScreen,
  HOLDING_BACKGROUND,
  Image,
  LABEL_BACKGROUND,
  labelRect,
  PANEL_BACKGROUND,
  parsePpm,
  regionBytes,
  regionStats,
  toPng,
} from './screen';

const rgbOf = (h: string): [number, number, number] =>
  [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];

function image(w: number, h: number, paint: (x: number, y: number) => string): Image {
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) rgb.set(rgbOf(paint(x, y)), (y * w + x) * 3);
  return { width: w, height: h, rgb };
}

const ppm = (img: Image): Buffer =>
  Buffer.concat([Buffer.from(`P6\n# qemu\n${img.width} ${img.height}\n255\n`), img.rgb]);

/** A desktop: holding colour, a 32 px panel with "text" in many greys. */
const desktop = (seed: number): Image =>
  image(320, 200, (x, y) => {
    if (y < 168) return HOLDING_BACKGROUND;
    if (x < 20 && y > 172) return `#${(x * 12).toString(16).padStart(2, '0')}8040`; // an icon
    if (x < 40 || x > 200 || y < 172 || y > 196) return PANEL_BACKGROUND;
    if (y > 176 && y < 190 && x > 50 && x < 180 && (x * 7 + y * 3 + seed) % 5 === 0) {
      const v = (200 + ((x + seed) % 56)).toString(16);
      return `#${v}${v}${v}`;
    }
    return LABEL_BACKGROUND;
  });

describe('screendump analysis', () => {
  it('parses a P6 PPM with a comment, byte for byte', () => {
    const img = image(3, 2, (x) => (x === 0 ? '#ff0000' : '#000000'));
    const back = parsePpm(ppm(img));
    expect([back.width, back.height]).toEqual([3, 2]);
    expect(back.rgb.equals(img.rgb)).toBe(true);
    expect(() => parsePpm(Buffer.from('P3\n1 1\n255\n0 0 0'))).toThrow(/P6/);
    expect(() => parsePpm(Buffer.from('P6\n2 2\n255\n\0\0'))).toThrow(/truncated/);
  });

  it('tells black, holding and desktop screens apart', () => {
    expect(classifyScreen(image(64, 64, () => '#000000'))).toBe('black');
    expect(classifyScreen(image(64, 64, () => HOLDING_BACKGROUND))).toBe('holding');
    expect(classifyScreen(desktop(1))).toBe('desktop');
    // The panel without its name label is not the user's desktop yet.
    const noLabel = desktop(1);
    for (let y = 168; y < 200; y++)
      for (let x = 40; x <= 200; x++) noLabel.rgb.set(rgbOf(PANEL_BACKGROUND), (y * 320 + x) * 3);
    expect(classifyScreen(noLabel)).toBe('other');
    expect(classifyScreen(image(64, 64, (x) => (x % 2 ? '#ff0000' : '#00ff00')))).toBe('other');
  });

  it('sees different label text as different label pixels', () => {
    const a = desktop(1);
    const b = desktop(2);
    expect(regionBytes(a, labelRect(a)).equals(regionBytes(desktop(1), labelRect(a)))).toBe(true);
    expect(regionBytes(a, labelRect(a)).equals(regionBytes(b, labelRect(b)))).toBe(false);
    const s = regionStats(a, labelRect(a));
    expect(s.dominant).toBe(LABEL_BACKGROUND);
    expect(s.lightShare).toBeGreaterThan(0);
  });

  it('writes a PNG: signature, header and deflated rows of the right length', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-png-'));
    try {
      const file = join(dir, 'a.png');
      writeFileSync(file, toPng(desktop(3)));
      const py =
        "import zlib,struct,sys;d=open(sys.argv[1],'rb').read();assert d[:8]==b'\\x89PNG\\r\\n\\x1a\\n';w,h=struct.unpack('>II',d[16:24]);n=struct.unpack('>I',d[33:37])[0];r=zlib.decompress(d[41:41+n]);assert len(r)==(w*3+1)*h;print(w,h)";
      expect(execFileSync('python3', ['-c', py, file]).toString().trim()).toBe('320 200');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
