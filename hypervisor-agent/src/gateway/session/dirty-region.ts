export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const MAX_BOXES = 16;

function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

const area = (b: Box): number => b.w * b.h;

/**
 * Changed areas not yet sent to one client. Adding merges boxes when the merged box wastes
 * little area, so a slow client gets a few larger, fresher rectangles rather than a backlog.
 */
export class DirtyRegion {
  private boxes: Box[] = [];

  get empty(): boolean {
    return this.boxes.length === 0;
  }

  add(b: Box): void {
    if (b.w <= 0 || b.h <= 0) return;
    let cur = b;
    for (let merged = true; merged;) {
      merged = false;
      for (let i = 0; i < this.boxes.length; i++) {
        const u = union(this.boxes[i], cur);
        if (area(u) <= (area(this.boxes[i]) + area(cur)) * 1.25) {
          this.boxes.splice(i, 1);
          cur = u;
          merged = true;
          break;
        }
      }
    }
    this.boxes.push(cur);
    if (this.boxes.length > MAX_BOXES) this.boxes = [this.boxes.reduce(union)];
  }

  /** True when `b` overlaps a box not yet sent. */
  intersects(b: Box): boolean {
    return this.boxes.some(
      (a) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h,
    );
  }

  /** Returns and clears the boxes. */
  take(): Box[] {
    const out = this.boxes;
    this.boxes = [];
    return out;
  }
}
