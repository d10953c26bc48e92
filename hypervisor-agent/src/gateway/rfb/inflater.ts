import * as zlib from 'zlib';

/**
 * One persistent zlib stream, as RFB's ZRLE and zlib encodings require: each rectangle's data
 * continues the stream of the previous ones and ends on a sync flush. Node has no public
 * synchronous API for a persistent stream, so this goes through the async stream; the RFB client
 * awaits each rectangle in order.
 */
export class Inflater {
  private readonly z = zlib.createInflate();
  private out: Buffer[] = [];
  private pending?: { resolve: (b: Buffer) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor() {
    this.z.on('data', (c: Buffer) => this.out.push(c));
    this.z.on('error', (e: Error) => {
      this.failure = e;
      this.pending?.reject(e);
      this.pending = undefined;
    });
  }

  inflate(data: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.z.write(data);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        // Output pushed by the last flush is emitted no later than the next turn.
        setImmediate(() => {
          const p = this.pending;
          this.pending = undefined;
          if (!p || this.failure) return;
          const b = Buffer.concat(this.out);
          this.out = [];
          p.resolve(b);
        });
      });
    });
  }

  close(): void {
    this.z.destroy();
  }
}
