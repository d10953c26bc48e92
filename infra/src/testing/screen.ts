// What a desktop child shows, judged from a QMP screendump (PPM): a black screen, the holding
// screen of a template, or the user's drawn desktop with its panel. Pure except `screendump`.
import { readFileSync } from 'fs';
import { crc32, deflateSync } from 'zlib';

export interface Image {
  width: number;
  height: number;
  /** RGB, 3 bytes a pixel, rows top to bottom. */
  rgb: Buffer;
}

/** Parses a binary PPM (P6, maxval 255), the format of QEMU's screendump. */
export function parsePpm(buf: Buffer): Image {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos] as number))) pos++;
      if (buf[pos] === 0x23) {
        while (pos < buf.length && buf[pos] !== 0x0a) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos] as number))) pos++;
    return buf.toString('latin1', start, pos);
  };
  if (token() !== 'P6') throw new Error('not a binary PPM (P6)');
  const width = Number(token());
  const height = Number(token());
  const max = Number(token());
  if (!(width > 0 && height > 0) || max !== 255)
    throw new Error(`unsupported PPM header ${width}x${height} max ${max}`);
  pos++; // the single whitespace after maxval
  const rgb = buf.subarray(pos, pos + width * height * 3);
  if (rgb.length !== width * height * 3) throw new Error('PPM is truncated');
  return { width, height, rgb };
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface RegionStats {
  /** Distinct colours (capped at 4096). */
  colours: number;
  /** Most frequent colour as #rrggbb and its share of the region (0..1). */
  dominant: string;
  dominantShare: number;
  /** Share of near-white pixels (text on the panel). */
  lightShare: number;
}

const hex = (r: number, g: number, b: number): string =>
  `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;

export function regionStats(img: Image, r: Rect): RegionStats {
  const counts = new Map<number, number>();
  let light = 0;
  let n = 0;
  for (let y = r.y; y < Math.min(img.height, r.y + r.h); y++) {
    for (let x = r.x; x < Math.min(img.width, r.x + r.w); x++) {
      const i = (y * img.width + x) * 3;
      const R = img.rgb[i] as number;
      const G = img.rgb[i + 1] as number;
      const B = img.rgb[i + 2] as number;
      const key = (R << 16) | (G << 8) | B;
      if (counts.size < 4096 || counts.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1);
      if (R > 200 && G > 200 && B > 200) light++;
      n++;
    }
  }
  let best = 0;
  let bestN = 0;
  for (const [k, c] of counts) if (c > bestN) [best, bestN] = [k, c];
  return {
    colours: counts.size,
    dominant: hex(best >> 16, (best >> 8) & 0xff, best & 0xff),
    dominantShare: n ? bestN / n : 0,
    lightShare: n ? light / n : 0,
  };
}

/** A region's pixels, for comparing the same region across children. */
export function regionBytes(img: Image, r: Rect): Buffer {
  const rows: Buffer[] = [];
  for (let y = r.y; y < Math.min(img.height, r.y + r.h); y++) {
    const start = (y * img.width + r.x) * 3;
    rows.push(img.rgb.subarray(start, start + Math.min(r.w, img.width - r.x) * 3));
  }
  return Buffer.concat(rows);
}

/** Colours of the image's own files (rootfs/usr/local/sbin/forkdesk-greeter, etc/xdg/tint2/tint2rc). */
export const HOLDING_BACKGROUND = '#2e4a62';
export const PANEL_BACKGROUND = '#17212b';
export const PANEL_HEIGHT = 32;

export const LABEL_BACKGROUND = '#3d6a8f';

/** The panel's name label is drawn: its background and light text in the label area. */
export function labelShown(img: Image): boolean {
  const r = labelRect(img);
  let bg = 0;
  for (let y = r.y; y < r.y + r.h; y++) {
    for (let x = r.x; x < r.x + r.w; x++) {
      const i = (y * img.width + x) * 3;
      const key = `#${img.rgb.subarray(i, i + 3).toString('hex')}`;
      if (key === LABEL_BACKGROUND) bg++;
    }
  }
  return bg / (r.w * r.h) > 0.02 && regionStats(img, r).lightShare > 0.002;
}

export type ScreenKind = 'black' | 'holding' | 'desktop' | 'other';

export function panelRect(img: Image): Rect {
  return { x: 0, y: img.height - PANEL_HEIGHT, w: img.width, h: PANEL_HEIGHT };
}

/** The name label's area: the panel without its right end (the clock changes every minute). */
export function labelRect(img: Image): Rect {
  return { x: 0, y: img.height - PANEL_HEIGHT, w: img.width - 120, h: PANEL_HEIGHT };
}

export function classifyScreen(img: Image): ScreenKind {
  const whole = regionStats(img, { x: 0, y: 0, w: img.width, h: img.height });
  if (whole.colours <= 2 && whole.dominant === '#000000') return 'black';
  const desk = regionStats(img, { x: 0, y: 0, w: img.width, h: img.height - PANEL_HEIGHT });
  if (desk.dominant !== HOLDING_BACKGROUND || desk.dominantShare < 0.5) return 'other';
  const panel = regionStats(img, panelRect(img));
  // A drawn panel: its own background, icons in many colours, and the name label (its own
  // background colour with light text) drawn.
  if (panel.dominant === PANEL_BACKGROUND && panel.colours > 16 && labelShown(img))
    return 'desktop';
  if (panel.dominant === HOLDING_BACKGROUND) return 'holding';
  return 'other';
}

/** Minimal QMP surface used here (the agent's QMP client fits it). */
export interface QmpLike {
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
}

/** Takes a screendump to `file` (a path QEMU may write) and parses it. */
export async function screendump(qmp: QmpLike, file: string): Promise<Image> {
  await qmp.execute('screendump', { filename: file });
  return parsePpm(readFileSync(file));
}

/** Polls screendumps until the screen is `want`; returns it with the time it took. */
export async function waitForScreen(
  qmp: QmpLike,
  file: string,
  want: ScreenKind,
  timeoutMs: number,
  intervalMs = 25,
): Promise<{ img: Image; ms: number }> {
  const t0 = Date.now();
  let last: ScreenKind = 'other';
  for (;;) {
    const img = await screendump(qmp, file);
    last = classifyScreen(img);
    if (last === want) return { img, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`screen is "${last}", not "${want}", after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** PPM → PNG (for looking at a screendump); uses zlib, no image library. */
export function toPng(img: Image): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr.writeUInt8(8, 8);
  ihdr.writeUInt8(2, 9);
  const raw = Buffer.alloc((img.width * 3 + 1) * img.height);
  for (let y = 0; y < img.height; y++) {
    img.rgb.copy(raw, y * (img.width * 3 + 1) + 1, y * img.width * 3, (y + 1) * img.width * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
