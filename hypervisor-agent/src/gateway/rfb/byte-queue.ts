/** FIFO of received bytes that avoids re-copying large partial messages on every TCP read. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** The first `n` bytes without consuming them (n ≤ length). */
  peek(n: number): Buffer {
    if (n > this.total) throw new RangeError('peek past end');
    this.compact(n);
    return this.chunks[0].subarray(this.head, this.head + n);
  }

  u8(offset: number): number {
    return this.peek(offset + 1)[offset];
  }

  u16(offset: number): number {
    return this.peek(offset + 2).readUInt16BE(offset);
  }

  u32(offset: number): number {
    return this.peek(offset + 4).readUInt32BE(offset);
  }

  /** Consumes and returns `n` bytes. */
  take(n: number): Buffer {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  skip(n: number): void {
    if (n > this.total) throw new RangeError('skip past end');
    this.total -= n;
    while (n > 0) {
      const avail = this.chunks[0].length - this.head;
      if (n < avail) {
        this.head += n;
        return;
      }
      n -= avail;
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Makes the first `n` bytes contiguous in chunks[0]. */
  private compact(n: number): void {
    if (this.chunks.length === 0 || this.chunks[0].length - this.head >= n) return;
    const parts: Buffer[] = [];
    let got = 0;
    let i = 0;
    while (got < n) {
      const c = i === 0 ? this.chunks[0].subarray(this.head) : this.chunks[i];
      parts.push(c);
      got += c.length;
      i++;
    }
    this.chunks.splice(0, i, Buffer.concat(parts));
    this.head = 0;
  }
}
