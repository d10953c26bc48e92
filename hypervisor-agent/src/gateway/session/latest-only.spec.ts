import { LatestOnly } from './latest-only';

describe('LatestOnly', () => {
  it('runs the first value at once, then only the latest of those pushed meanwhile', async () => {
    const ran: number[] = [];
    let release: () => void = () => undefined;
    const q = new LatestOnly<number>(
      (v) =>
        new Promise<void>((r) => {
          ran.push(v);
          release = r;
        }),
      () => undefined,
    );
    q.push(1);
    q.push(2);
    q.push(3);
    expect(ran).toEqual([1]);
    release();
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual([1, 3]);
    release();
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual([1, 3]);
  });

  it('reports a failed run and goes on with the next value', async () => {
    const errors: string[] = [];
    const ran: number[] = [];
    const q = new LatestOnly<number>(
      async (v) => {
        ran.push(v);
        if (v === 1) throw new Error('guest busy');
      },
      (e) => errors.push(e.message),
    );
    q.push(1);
    await new Promise((r) => setImmediate(r));
    q.push(2);
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual(['guest busy']);
    expect(ran).toEqual([1, 2]);
  });
});
