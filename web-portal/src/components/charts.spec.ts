import { linePath, niceMax, stack } from './charts';

describe('chart geometry', () => {
  it('rounds axis maxima up to round steps', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(3)).toBe(3);
    expect(niceMax(3.2)).toBe(4);
    expect(niceMax(10)).toBe(10);
    expect(niceMax(11)).toBe(15);
    expect(niceMax(64)).toBe(80);
    expect(niceMax(0.3)).toBe(0.3);
  });

  it('stacks segments left to right, skipping empty ones', () => {
    const s = stack(
      [
        { label: 'a', value: 2, tone: 'x' },
        { label: 'b', value: 0, tone: 'y' },
        { label: 'c', value: 3, tone: 'z' },
      ],
      10,
      200,
    );
    expect(s.map(({ x, w, seg }) => [x, w, seg.label])).toEqual([
      [0, 40, 'a'],
      [40, 60, 'c'],
    ]);
  });

  it('draws a line across the sampled time', () => {
    expect(
      linePath(
        [
          [1000, 0],
          [2000, 5],
          [3000, 10],
        ],
        100,
        50,
        10,
      ),
    ).toBe('M0.0,50.0 L50.0,25.0 L100.0,0.0');
    expect(linePath([], 100, 50, 10)).toBe('');
  });
});
