/** Geometry for the small inline SVG charts (pure: unit-tested, no DOM). */

export interface Segment {
  label: string;
  value: number;
  tone: string;
}

export interface BarRow {
  label: string;
  segments: Segment[];
}

/** A round upper bound for an axis: 1, 1.5, 2, 3, 4, 5, 6, 8 × 10^n at or above max. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(max));
  const step = [1, 1.5, 2, 3, 4, 5, 6, 8, 10].find((m) => m * exp >= max - 1e-9) ?? 10;
  return Math.round(step * exp * 1000) / 1000;
}

/** x offset and width of each segment of a stacked bar `width` wide for a scale of `max`. */
export function stack(
  segments: Segment[],
  max: number,
  width: number,
): { x: number; w: number; seg: Segment }[] {
  let x = 0;
  return segments
    .filter((s) => s.value > 0)
    .map((seg) => {
      const w = max > 0 ? (seg.value / max) * width : 0;
      const out = { x, w, seg };
      x += w;
      return out;
    });
}

/** SVG path of a line through samples [t, value] over a `width`×`height` box. */
export function linePath(
  samples: [number, number][],
  width: number,
  height: number,
  max: number,
): string {
  if (samples.length === 0) return '';
  const t0 = samples[0][0];
  const span = Math.max(1, samples[samples.length - 1][0] - t0);
  return samples
    .map(([t, v], i) => {
      const x = samples.length === 1 ? width : ((t - t0) / span) * width;
      const y = height - (max > 0 ? Math.min(1, v / max) : 0) * height;
      return `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}
