import { dpiFor, fitScale, requestedSize, sizeChanged } from './scale';

describe('viewer scaling', () => {
  it('fits the limiting side and never enlarges by default', () => {
    expect(fitScale({ width: 1920, height: 1080 }, { width: 960, height: 1000 })).toBe(0.5);
    expect(fitScale({ width: 1000, height: 1000 }, { width: 2000, height: 500 })).toBe(0.5);
    expect(fitScale({ width: 800, height: 600 }, { width: 1600, height: 1200 })).toBe(1);
    expect(fitScale({ width: 800, height: 600 }, { width: 1600, height: 1200 }, true)).toBe(2);
  });

  it('treats an empty screen or box as unscaled', () => {
    expect(fitScale({ width: 0, height: 0 }, { width: 100, height: 100 })).toBe(1);
    expect(fitScale({ width: 100, height: 100 }, { width: 0, height: 10 })).toBe(1);
  });

  it('asks for an even, bounded size in device pixels', () => {
    expect(requestedSize({ width: 1281, height: 719 })).toEqual({ width: 1280, height: 718 });
    expect(requestedSize({ width: 1000, height: 600 }, 1.5)).toEqual({ width: 1500, height: 900 });
    expect(requestedSize({ width: 100, height: 100 })).toEqual({ width: 640, height: 480 });
    expect(requestedSize({ width: 5000, height: 3000 })).toEqual({ width: 3840, height: 2160 });
    expect(requestedSize({ width: 800, height: 600 }, Number.NaN)).toEqual({
      width: 800,
      height: 600,
    });
  });

  it('ignores tiny size changes', () => {
    expect(sizeChanged(null, { width: 1, height: 1 })).toBe(true);
    expect(sizeChanged({ width: 1280, height: 720 }, { width: 1284, height: 720 })).toBe(false);
    expect(sizeChanged({ width: 1280, height: 720 }, { width: 1280, height: 760 })).toBe(true);
  });

  it('announces DPI from the pixel ratio', () => {
    expect(dpiFor(1)).toBe(96);
    expect(dpiFor(2)).toBe(192);
    expect(dpiFor(0)).toBe(96);
  });
});
