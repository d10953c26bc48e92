import { isPhotoLike } from './classify';
import { encodePng } from './png';
import { encodeJpeg, jpegAvailable } from '../../native/turbojpeg';

export type ImageMime = 'image/png' | 'image/jpeg';

export interface EncodedImage {
  mime: ImageMime;
  data: Buffer;
  ms: number;
}

export interface EncodeOptions {
  /** Whether the client accepts JPEG (from its `image` handshake instruction). */
  allowJpeg: boolean;
  jpegQuality?: number;
}

/** Encodes one dirty region: PNG for flat content, JPEG for photo-like content when allowed. */
export function encodeRegion(
  bgrx: Buffer,
  w: number,
  h: number,
  opts: EncodeOptions,
): EncodedImage {
  const t0 = performance.now();
  const jpeg = opts.allowJpeg && jpegAvailable() && isPhotoLike(bgrx, w, h);
  const data = jpeg ? encodeJpeg(bgrx, w, h, opts.jpegQuality ?? 80) : encodePng(bgrx, w, h);
  return { mime: jpeg ? 'image/jpeg' : 'image/png', data, ms: performance.now() - t0 };
}
