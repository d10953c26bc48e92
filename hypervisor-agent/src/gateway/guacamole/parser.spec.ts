import { GuacamoleParser, GuacInstruction } from './parser';
import { codePointLength, encodeInstruction } from './encoder';
import { GuacError, GuacStatus } from './status';

function parseAll(bytes: Buffer, splitEvery?: number): GuacInstruction[] {
  const p = new GuacamoleParser();
  if (!splitEvery) return p.feed(bytes);
  const out: GuacInstruction[] = [];
  for (let i = 0; i < bytes.length; i += splitEvery)
    out.push(...p.feed(bytes.subarray(i, i + splitEvery)));
  return out;
}

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof GuacError) return e.status;
    throw e;
  }
  return undefined;
}

describe('Guacamole encoder', () => {
  it('encodes opcode and args with lengths', () => {
    expect(encodeInstruction('select', 'vnc')).toBe('6.select,3.vnc;');
    expect(encodeInstruction('size', 0, 1280, 800)).toBe('4.size,1.0,4.1280,3.800;');
    expect(encodeInstruction('nop')).toBe('3.nop;');
    expect(encodeInstruction('x', '')).toBe('1.x,0.;');
  });

  it('counts code points, not UTF-16 units or bytes', () => {
    expect(codePointLength('héllo')).toBe(5);
    expect(codePointLength('😀')).toBe(1);
    expect(codePointLength('a😀b')).toBe(3);
    expect(encodeInstruction('name', 'ü😀')).toBe('4.name,2.ü😀;');
  });
});

describe('Guacamole parser', () => {
  it('parses a stream of instructions byte for byte', () => {
    const bytes = Buffer.from('6.select,3.vnc;4.size,4.1024,3.768,2.96;7.connect,0.,2.d1;');
    expect(parseAll(bytes)).toEqual([
      { opcode: 'select', args: ['vnc'] },
      { opcode: 'size', args: ['1024', '768', '96'] },
      { opcode: 'connect', args: ['', 'd1'] },
    ]);
  });

  it('gives the same result whatever the split, even inside multi-byte characters', () => {
    const text = encodeInstruction('clipboard', 'a😀é中', 'x') + encodeInstruction('key', 65, 1);
    const bytes = Buffer.from(text, 'utf8');
    const expected = [
      { opcode: 'clipboard', args: ['a😀é中', 'x'] },
      { opcode: 'key', args: ['65', '1'] },
    ];
    for (let n = 1; n <= bytes.length; n++) expect(parseAll(bytes, n)).toEqual(expected);
  });

  it('round-trips encoder output for random unicode', () => {
    const pool = ['a', ',', ';', '.', '9', 'é', '中', '😀', '\u0000', ' '];
    for (let t = 0; t < 200; t++) {
      const args = Array.from({ length: 1 + (t % 5) }, (_, k) =>
        Array.from({ length: (t * 7 + k) % 13 }, (_, m) => pool[(t + m * k) % pool.length]).join(
          '',
        ),
      );
      const enc = Buffer.from(encodeInstruction('op', ...args));
      expect(parseAll(enc, 1 + (t % 4))).toEqual([{ opcode: 'op', args }]);
    }
  });

  it('returns nothing until an instruction is complete', () => {
    const p = new GuacamoleParser();
    expect(p.feed(Buffer.from('4.sy'))).toEqual([]);
    expect(p.feed(Buffer.from('nc,3.12'))).toEqual([]);
    expect(p.feed(Buffer.from('3;'))).toEqual([{ opcode: 'sync', args: ['123'] }]);
  });

  it.each([
    ['missing length', ',3.abc;'],
    ['no dot', '4sync;'],
    ['value longer than length', '3.sync;'],
    ['value shorter than length', '5.sync;4.sync;'],
    ['bad terminator', '4.sync:'],
    ['letters for length', 'a.b;'],
    ['invalid utf-8 start', '1.\xff;'],
  ])('rejects %s with CLIENT_BAD_REQUEST', (_name, text) => {
    const p = new GuacamoleParser();
    expect(statusOf(() => p.feed(Buffer.from(text, 'latin1')))).toBe(GuacStatus.CLIENT_BAD_REQUEST);
    // A failed parser stays failed.
    expect(statusOf(() => p.feed(Buffer.from('3.nop;')))).toBe(GuacStatus.CLIENT_BAD_REQUEST);
  });

  it('rejects a broken continuation byte', () => {
    const p = new GuacamoleParser();
    expect(statusOf(() => p.feed(Buffer.from([0x31, 0x2e, 0xc3, 0x41, 0x3b])))).toBe(
      GuacStatus.CLIENT_BAD_REQUEST,
    );
  });

  it('enforces element, instruction and element-count limits with CLIENT_OVERRUN', () => {
    const limits = { maxElementLength: 8, maxInstructionBytes: 40, maxElements: 4 };
    expect(statusOf(() => new GuacamoleParser(limits).feed(Buffer.from('9.')))).toBe(
      GuacStatus.CLIENT_OVERRUN,
    );
    expect(statusOf(() => new GuacamoleParser(limits).feed(Buffer.from('99999999999')))).toBe(
      GuacStatus.CLIENT_OVERRUN,
    );
    expect(
      statusOf(() => new GuacamoleParser(limits).feed(Buffer.from('1.a,1.b,1.c,1.d,1.e;'))),
    ).toBe(GuacStatus.CLIENT_OVERRUN);
    const p = new GuacamoleParser(limits);
    expect(
      statusOf(() => {
        for (let i = 0; i < 20; i++) p.feed(Buffer.from('8.abcdefgh,'));
      }),
    ).toBe(GuacStatus.CLIENT_OVERRUN);
    // A whole oversized instruction in one chunk is refused too.
    const big = new GuacamoleParser({ ...limits, maxElements: 64 });
    expect(statusOf(() => big.feed(Buffer.from('8.abcdefgh,'.repeat(5) + '1.x;')))).toBe(
      GuacStatus.CLIENT_OVERRUN,
    );
  });
});
