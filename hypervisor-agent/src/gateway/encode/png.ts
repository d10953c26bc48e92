import * as zlib from 'zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32(parts: Buffer[]): number {
  let c = -1;
  for (const b of parts)
    for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32([head.subarray(4), data]), 0);
  return Buffer.concat([head, data, crc]);
}

export interface PngOptions {
  /** zlib level: low levels are much faster and lose little on screen content. */
  level?: number;
}

/**
 * Encodes BGRX pixels (4 bytes each, tightly packed) as an RGB PNG. Each row uses the Sub filter,
 * which turns runs of one colour into zeros for zlib and costs one subtraction per byte.
 */
export function encodePng(bgrx: Buffer, w: number, h: number, opts: PngOptions = {}): Buffer {
  const rowBytes = w * 3 + 1;
  const raw = Buffer.allocUnsafe(rowBytes * h);
  for (let y = 0; y < h; y++) {
    let o = y * rowBytes;
    raw[o++] = 1;
    let s = y * w * 4;
    let pr = 0;
    let pg = 0;
    let pb = 0;
    for (let x = 0; x < w; x++, s += 4, o += 3) {
      const r = bgrx[s + 2];
      const g = bgrx[s + 1];
      const b = bgrx[s];
      raw[o] = (r - pr) & 0xff;
      raw[o + 1] = (g - pg) & 0xff;
      raw[o + 2] = (b - pb) & 0xff;
      pr = r;
      pg = g;
      pb = b;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const idat = zlib.deflateSync(raw, { level: opts.level ?? 2 });
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Encodes RGBA pixels as an RGBA PNG (cursors, which need transparency). */
export function encodePngRgba(rgba: Buffer, w: number, h: number): Buffer {
  const rowBytes = w * 4 + 1;
  const raw = Buffer.alloc(rowBytes * h);
  for (let y = 0; y < h; y++) rgba.copy(raw, y * rowBytes + 1, y * w * 4, (y + 1) * w * 4);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 6; // colour type RGBA
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
