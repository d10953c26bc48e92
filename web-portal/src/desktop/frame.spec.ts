import { hasContent } from './frame';

const image = (pixels: [number, number, number][]): Uint8ClampedArray =>
  new Uint8ClampedArray(pixels.flatMap(([r, g, b]) => [r, g, b, 255]));

describe('first frame content', () => {
  it('calls a flat colour (the bare root window) empty, noise included', () => {
    expect(hasContent(new Uint8ClampedArray(0))).toBe(false);
    expect(hasContent(image(Array(100).fill([30, 60, 140])))).toBe(false);
    expect(hasContent(image([...Array(99).fill([30, 60, 140]), [40, 70, 150]]))).toBe(false);
  });

  it('sees one different pixel (text, a panel)', () => {
    expect(hasContent(image([...Array(99).fill([30, 60, 140]), [230, 230, 230]]))).toBe(true);
    expect(
      hasContent(
        image([
          [0, 0, 0],
          [0, 0, 200],
        ]),
      ),
    ).toBe(true);
  });
});
