import { decodePng } from '../../testing/png-decode';
import { isPhotoLike } from './classify';
import { encodeRegion } from './encoder';
import { crc32, encodePng, encodePngRgba } from './png';
import { encodeJpeg, jpegAvailable } from '../../native/turbojpeg';

function pattern(w: number, h: number, noisy: boolean): Buffer {
  const b = Buffer.alloc(w * h * 4);
  let seed = 7;
  for (let i = 0; i < w * h; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const v = noisy ? seed >> 8 : (i % w) % 16 < 8 ? 0x202020 : 0xc0c0c0;
    b[i * 4] = v & 255;
    b[i * 4 + 1] = (v >> 8) & 255;
    b[i * 4 + 2] = (v >> 16) & 255;
    b[i * 4 + 3] = 255;
  }
  return b;
}

describe('PNG encoder', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32([Buffer.from('123456789')])).toBe(0xcbf43926);
  });

  it('round-trips BGRX pixels exactly', () => {
    const px = pattern(37, 11, true);
    const png = encodePng(px, 37, 11);
    expect(png.subarray(0, 8)).toEqual(Buffer.from('89504e470d0a1a0a', 'hex'));
    const d = decodePng(png);
    expect([d.width, d.height]).toEqual([37, 11]);
    for (let i = 0; i < 37 * 11; i++) {
      expect([d.rgba[i * 4], d.rgba[i * 4 + 1], d.rgba[i * 4 + 2]]).toEqual([
        px[i * 4 + 2],
        px[i * 4 + 1],
        px[i * 4],
      ]);
    }
  });

  it('keeps cursor transparency', () => {
    const rgba = Buffer.from('ff00008000ff0000', 'hex');
    expect(decodePng(encodePngRgba(rgba, 2, 1)).rgba).toEqual(rgba);
  });
});

describe('region classification and encoding', () => {
  it('sends flat content as PNG and photo-like content as JPEG', () => {
    expect(isPhotoLike(pattern(256, 256, false), 256, 256)).toBe(false);
    expect(isPhotoLike(pattern(256, 256, true), 256, 256)).toBe(true);
    expect(isPhotoLike(pattern(16, 16, true), 16, 16)).toBe(false);
    expect(encodeRegion(pattern(256, 256, false), 256, 256, { allowJpeg: true }).mime).toBe(
      'image/png',
    );
    expect(encodeRegion(pattern(256, 256, true), 256, 256, { allowJpeg: false }).mime).toBe(
      'image/png',
    );
  });

  it('encodes JPEG through libturbojpeg', () => {
    expect(jpegAvailable()).toBe(true);
    const jpg = encodeJpeg(pattern(320, 200, true), 320, 200, 80);
    expect(jpg.subarray(0, 3)).toEqual(Buffer.from('ffd8ff', 'hex'));
    expect(jpg.subarray(-2)).toEqual(Buffer.from('ffd9', 'hex'));
    expect(encodeRegion(pattern(256, 256, true), 256, 256, { allowJpeg: true }).mime).toBe(
      'image/jpeg',
    );
  });
});
