/** Regions this small or smaller always go out as PNG: JPEG's header alone would outweigh them. */
const MIN_PHOTO_AREA = 64 * 64;
/** More distinct colours than this in the sample marks a region as photo-like. */
const PHOTO_COLOURS = 96;

/**
 * Guesses whether a BGRX region is photo-like (many colours: JPEG pays off) or flat text/UI
 * (few colours: PNG is smaller and exact), from a sparse sample of its pixels.
 */
export function isPhotoLike(bgrx: Buffer, w: number, h: number): boolean {
  if (w * h < MIN_PHOTO_AREA) return false;
  const seen = new Set<number>();
  const step = Math.max(1, Math.floor(Math.sqrt((w * h) / 1024)));
  for (let y = 0; y < h; y += step) {
    for (let x = (y / step) % 2; x < w; x += step) {
      const o = (y * w + x) * 4;
      seen.add(bgrx[o] | (bgrx[o + 1] << 8) | (bgrx[o + 2] << 16));
      if (seen.size > PHOTO_COLOURS) return true;
    }
  }
  return false;
}
