import { Framebuffer } from './framebuffer';
import { RfbProtocolError } from './server-messages';

const TILE = 64;

/**
 * Decodes one ZRLE rectangle (RFC 6143 §7.7.6) from its already-inflated bytes into `fb`.
 * Pixels are CPIXELs of 3 bytes (B, G, R) as for the 32 bpp depth-24 little-endian format.
 */
export function decodeZrle(
  data: Buffer,
  rx: number,
  ry: number,
  rw: number,
  rh: number,
  fb: Framebuffer,
): void {
  let p = 0;
  const need = (n: number): void => {
    if (p + n > data.length) throw new RfbProtocolError('truncated ZRLE data');
  };
  const palette = new Uint8Array(128 * 3);
  const d = fb.data;
  const stride = fb.width * 4;
  const put = (px: number, py: number, o: number, src: Uint8Array): void => {
    const t = py * stride + px * 4;
    d[t] = src[o];
    d[t + 1] = src[o + 1];
    d[t + 2] = src[o + 2];
    d[t + 3] = 255;
  };

  for (let ty = ry; ty < ry + rh; ty += TILE) {
    const th = Math.min(TILE, ry + rh - ty);
    for (let tx = rx; tx < rx + rw; tx += TILE) {
      const tw = Math.min(TILE, rx + rw - tx);
      need(1);
      const sub = data[p++];
      if (sub === 0) {
        need(tw * th * 3);
        for (let j = 0; j < th; j++)
          for (let i = 0; i < tw; i++, p += 3) put(tx + i, ty + j, p, data);
      } else if (sub === 1) {
        need(3);
        fb.fill(tx, ty, tw, th, data[p], data[p + 1], data[p + 2]);
        p += 3;
      } else if (sub >= 2 && sub <= 16) {
        need(sub * 3);
        for (let k = 0; k < sub * 3; k++) palette[k] = data[p + k];
        p += sub * 3;
        const bits = sub === 2 ? 1 : sub <= 4 ? 2 : 4;
        const mask = (1 << bits) - 1;
        const rowBytes = Math.ceil((tw * bits) / 8);
        need(rowBytes * th);
        for (let j = 0; j < th; j++) {
          for (let i = 0; i < tw; i++) {
            const bit = i * bits;
            const idx = (data[p + (bit >> 3)] >> (8 - bits - (bit & 7))) & mask;
            if (idx >= sub) throw new RfbProtocolError('ZRLE palette index out of range');
            put(tx + i, ty + j, idx * 3, palette);
          }
          p += rowBytes;
        }
      } else if (sub === 128 || sub >= 130) {
        const paletteSize = sub === 128 ? 0 : sub - 128;
        need(paletteSize * 3);
        for (let k = 0; k < paletteSize * 3; k++) palette[k] = data[p + k];
        p += paletteSize * 3;
        let i = 0;
        let j = 0;
        const total = tw * th;
        let done = 0;
        while (done < total) {
          let src: Uint8Array;
          let o: number;
          let run = 1;
          if (paletteSize === 0) {
            need(3);
            src = data;
            o = p;
            p += 3;
            run = readRunLength();
          } else {
            need(1);
            const idx = data[p++];
            o = (idx & 0x7f) * 3;
            if ((idx & 0x7f) >= paletteSize)
              throw new RfbProtocolError('ZRLE palette index out of range');
            src = palette;
            if (idx & 0x80) run = readRunLength();
          }
          if (done + run > total) throw new RfbProtocolError('ZRLE run past the tile');
          for (let k = 0; k < run; k++) {
            put(tx + i, ty + j, o, src);
            if (++i === tw) {
              i = 0;
              j++;
            }
          }
          done += run;
        }
      } else {
        throw new RfbProtocolError(`invalid ZRLE subencoding ${sub}`);
      }
    }
  }

  function readRunLength(): number {
    let run = 1;
    for (;;) {
      need(1);
      const b = data[p++];
      run += b;
      if (b !== 255) return run;
    }
  }
}
