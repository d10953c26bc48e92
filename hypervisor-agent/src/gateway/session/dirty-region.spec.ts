import { DirtyRegion } from './dirty-region';

describe('DirtyRegion', () => {
  it('merges overlapping and adjacent boxes, keeps distant ones apart', () => {
    const r = new DirtyRegion();
    r.add({ x: 0, y: 0, w: 10, h: 10 });
    r.add({ x: 10, y: 0, w: 10, h: 10 });
    r.add({ x: 500, y: 500, w: 8, h: 8 });
    r.add({ x: 0, y: 0, w: 0, h: 5 });
    expect(r.take()).toEqual([
      { x: 0, y: 0, w: 20, h: 10 },
      { x: 500, y: 500, w: 8, h: 8 },
    ]);
    expect(r.empty).toBe(true);
  });

  it('coalesces many updates of the same area into one box', () => {
    const r = new DirtyRegion();
    for (let i = 0; i < 1000; i++) r.add({ x: 5, y: 5, w: 100, h: 20 });
    expect(r.take()).toEqual([{ x: 5, y: 5, w: 100, h: 20 }]);
  });

  it('caps the number of boxes by falling back to the bounding box', () => {
    const r = new DirtyRegion();
    for (let i = 0; i < 40; i++) r.add({ x: i * 50, y: (i % 2) * 300, w: 2, h: 2 });
    expect(r.take().length).toBeLessThanOrEqual(16);
  });

  it('tells whether a box overlaps pending damage', () => {
    const r = new DirtyRegion();
    r.add({ x: 10, y: 10, w: 5, h: 5 });
    expect(r.intersects({ x: 14, y: 14, w: 3, h: 3 })).toBe(true);
    expect(r.intersects({ x: 15, y: 10, w: 3, h: 3 })).toBe(false);
  });
});
