/** The desktop's pixels as 4 bytes each, B G R X (the RFB pixel format the gateway asks for). */
export class Framebuffer {
  data: Buffer;

  constructor(
    public width: number,
    public height: number,
  ) {
    this.data = Buffer.alloc(width * height * 4);
  }

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.data = Buffer.alloc(width * height * 4);
  }

  /** True when the rectangle lies inside the framebuffer (a server bug or attack otherwise). */
  contains(x: number, y: number, w: number, h: number): boolean {
    return x >= 0 && y >= 0 && x + w <= this.width && y + h <= this.height;
  }

  /** Copies tightly packed BGRX rows into the rectangle. */
  putPixels(x: number, y: number, w: number, h: number, pixels: Buffer): void {
    const stride = this.width * 4;
    const row = w * 4;
    for (let j = 0; j < h; j++) {
      pixels.copy(this.data, (y + j) * stride + x * 4, j * row, j * row + row);
    }
  }

  fill(x: number, y: number, w: number, h: number, b: number, g: number, r: number): void {
    const d = this.data;
    const stride = this.width * 4;
    for (let j = 0; j < h; j++) {
      let o = (y + j) * stride + x * 4;
      for (let i = 0; i < w; i++, o += 4) {
        d[o] = b;
        d[o + 1] = g;
        d[o + 2] = r;
        d[o + 3] = 255;
      }
    }
  }

  /** CopyRect: source and destination may overlap, so rows go in the safe order. */
  copy(srcX: number, srcY: number, x: number, y: number, w: number, h: number): void {
    const stride = this.width * 4;
    const row = w * 4;
    const down = y > srcY;
    for (let k = 0; k < h; k++) {
      const j = down ? h - 1 - k : k;
      const s = (srcY + j) * stride + srcX * 4;
      this.data.copyWithin((y + j) * stride + x * 4, s, s + row);
    }
  }

  /** The rectangle's pixels, tightly packed BGRX. */
  extract(x: number, y: number, w: number, h: number): Buffer {
    const out = Buffer.alloc(w * h * 4);
    const stride = this.width * 4;
    const row = w * 4;
    for (let j = 0; j < h; j++) {
      this.data.copy(out, j * row, (y + j) * stride + x * 4, (y + j) * stride + x * 4 + row);
    }
    return out;
  }
}
