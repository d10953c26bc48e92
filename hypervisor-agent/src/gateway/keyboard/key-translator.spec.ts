import { keyEvent } from '../rfb/messages';
import { KeyTranslator } from './key-translator';

const SHIFT = 0xffe1;
const sym = (c: string): number => c.charCodeAt(0);

/** The RFB bytes the guest gets for a client's key events. */
function wire(t: KeyTranslator, events: Array<[number, boolean]>): string {
  return Buffer.concat(
    events.flatMap(([k, d]) => t.translate(k, d).map((e) => keyEvent(e.keysym, e.down))),
  ).toString('hex');
}

/** A character typed by keysym alone (on-screen keyboard, typed text): press, release. */
const typed = (text: string): Array<[number, boolean]> =>
  [...text].flatMap((c): Array<[number, boolean]> => [
    [sym(c), true],
    [sym(c), false],
  ]);

describe('KeyTranslator', () => {
  it('wraps a character that needs Shift in a Shift press when the client holds none', () => {
    // "@" (0x40) with no Shift: Shift_L down, "@" down, Shift_L up, then "@" up.
    expect(wire(new KeyTranslator(), typed('@'))).toBe(
      [
        '04010000' + '0000ffe1',
        '04010000' + '00000040',
        '04000000' + '0000ffe1',
        '04000000' + '00000040',
      ].join(''),
    );
  });

  it('sends what the client typed unchanged when its Shift state already fits', () => {
    const t = new KeyTranslator();
    expect(
      wire(t, [
        [SHIFT, true],
        [sym('@'), true],
        [sym('@'), false],
        [SHIFT, false],
        [sym('2'), true],
        [sym('2'), false],
      ]),
    ).toBe(
      [
        '04010000' + '0000ffe1',
        '04010000' + '00000040',
        '04000000' + '00000040',
        '04000000' + '0000ffe1',
        '04010000' + '00000032',
        '04000000' + '00000032',
      ].join(''),
    );
  });

  it('releases the held Shift keys around a character typed without Shift, then holds them again', () => {
    const t = new KeyTranslator();
    t.translate(SHIFT, true);
    t.translate(0xffe2, true);
    expect(t.translate(sym('2'), true)).toEqual([
      { keysym: 0xffe1, down: false },
      { keysym: 0xffe2, down: false },
      { keysym: sym('2'), down: true },
      { keysym: 0xffe1, down: true },
      { keysym: 0xffe2, down: true },
    ]);
  });

  it("leaves letters, Shift+arrows and other layouts' characters to the guest", () => {
    const t = new KeyTranslator();
    for (const k of [sym('A'), sym('a'), 0xe9 /* é */, 0xff52 /* Up */])
      expect(t.translate(k, true)).toEqual([{ keysym: k, down: true }]);
    t.translate(SHIFT, true);
    expect(t.translate(0xff52, true)).toEqual([{ keysym: 0xff52, down: true }]);
    expect(t.translate(sym('a'), true)).toEqual([{ keysym: sym('a'), down: true }]);
  });

  it('types the benchmark line with a Shift press for each of its eight shifted characters', () => {
    const t = new KeyTranslator();
    const wrapped = [...'echo Ab$((6*7))@#'].filter((c) => t.translate(sym(c), true).length === 3);
    expect(wrapped.join('')).toBe('$((*))@#');
  });
});
