/** Sizing math of the viewer: fit the remote screen into the window, and ask for a matching size. */

export interface Size {
  width: number;
  height: number;
}

/** The scale that fits the remote screen in the box without cropping; never enlarges (blurry). */
export function fitScale(remote: Size, box: Size, allowUpscale = false): number {
  if (remote.width <= 0 || remote.height <= 0 || box.width <= 0 || box.height <= 0) return 1;
  const s = Math.min(box.width / remote.width, box.height / remote.height);
  return allowUpscale ? s : Math.min(1, s);
}

export const MIN_SIZE: Size = { width: 640, height: 480 };
export const MAX_SIZE: Size = { width: 3840, height: 2160 };

/**
 * The screen size to ask the desktop for when the window is `box` CSS pixels: whole pixels,
 * even (some guest drivers reject odd widths), within MIN_SIZE..MAX_SIZE.
 */
export function requestedSize(box: Size, devicePixelRatio = 1): Size {
  const ratio = Number.isFinite(devicePixelRatio) && devicePixelRatio > 0 ? devicePixelRatio : 1;
  const dim = (v: number, min: number, max: number): number => {
    const px = Math.floor((v * ratio) / 2) * 2;
    return Math.max(min, Math.min(max, px));
  };
  return {
    width: dim(box.width, MIN_SIZE.width, MAX_SIZE.width),
    height: dim(box.height, MIN_SIZE.height, MAX_SIZE.height),
  };
}

/** True when the new size differs enough to be worth a resize (avoids storms while dragging). */
export function sizeChanged(a: Size | null, b: Size, threshold = 8): boolean {
  if (!a) return true;
  return Math.abs(a.width - b.width) >= threshold || Math.abs(a.height - b.height) >= threshold;
}

/** The DPI to announce: 96 per CSS pixel ratio, as Guacamole's own client does. */
export const dpiFor = (devicePixelRatio: number): number =>
  Math.round(96 * (devicePixelRatio > 0 ? devicePixelRatio : 1));
