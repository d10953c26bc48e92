/**
 * Whether the desktop has drawn a picture yet. A guest's first frame is often one flat colour
 * (the X root window before the session paints): shown as "connected" it reads as a broken
 * desktop, so the viewer keeps its progress up until the frame has some content.
 */

/** Side of the thumbnail the display is shrunk to before it is looked at (cheap to read). */
export const THUMB = 48;

/** Two pixels differ when a channel differs by more than this (compression noise is less). */
const TOLERANCE = 24;

/** True when the RGBA pixels are not all (nearly) one colour. */
export function hasContent(rgba: Uint8ClampedArray): boolean {
  if (rgba.length < 8) return false;
  const [r, g, b] = [rgba[0], rgba[1], rgba[2]];
  for (let i = 4; i + 3 < rgba.length; i += 4) {
    if (
      Math.abs(rgba[i] - r) > TOLERANCE ||
      Math.abs(rgba[i + 1] - g) > TOLERANCE ||
      Math.abs(rgba[i + 2] - b) > TOLERANCE
    )
      return true;
  }
  return false;
}

/** Shrinks the top-left `width`×`height` of `canvas` and looks for content. */
export function canvasHasContent(
  canvas: HTMLCanvasElement,
  width: number,
  height: number,
  scratch: HTMLCanvasElement,
): boolean {
  if (width <= 0 || height <= 0) return false;
  scratch.width = THUMB;
  scratch.height = THUMB;
  const cx = scratch.getContext('2d', { willReadFrequently: true });
  if (!cx) return true; // cannot look: do not hold the desktop back
  cx.drawImage(canvas, 0, 0, width, height, 0, 0, THUMB, THUMB);
  return hasContent(cx.getImageData(0, 0, THUMB, THUMB).data);
}
