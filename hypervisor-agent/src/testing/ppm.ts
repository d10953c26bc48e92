export interface RgbImage {
  width: number;
  height: number;
  /** Tightly packed RGB. */
  rgb: Buffer;
}

/** Parses a binary PPM (P6, maxval 255), the format of QMP `screendump`. */
export function parsePpm(b: Buffer): RgbImage {
  const tokens: string[] = [];
  let p = 0;
  while (tokens.length < 4) {
    while (p < b.length && /\s/.test(String.fromCharCode(b[p]))) p++;
    if (b[p] === 0x23) {
      while (p < b.length && b[p] !== 0x0a) p++;
      continue;
    }
    const start = p;
    while (p < b.length && !/\s/.test(String.fromCharCode(b[p]))) p++;
    tokens.push(b.toString('latin1', start, p));
  }
  if (tokens[0] !== 'P6' || tokens[3] !== '255') throw new Error('not a P6/255 PPM');
  const width = Number(tokens[1]);
  const height = Number(tokens[2]);
  const rgb = b.subarray(p + 1, p + 1 + width * height * 3);
  if (rgb.length !== width * height * 3) throw new Error('truncated PPM');
  return { width, height, rgb };
}

/** How many pixels differ between two images of one size. */
export function pixelsDiffering(a: RgbImage, b: RgbImage): number {
  let n = 0;
  for (let p = 0; p < a.rgb.length; p += 3) {
    if (a.rgb[p] !== b.rgb[p] || a.rgb[p + 1] !== b.rgb[p + 1] || a.rgb[p + 2] !== b.rgb[p + 2])
      n++;
  }
  return n;
}
