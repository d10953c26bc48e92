import { browserReserved, COMBOS, comboEvents, KEYSYM, MenuChord } from './keys';

const key = (
  k: string,
  mods: Partial<Record<'ctrlKey' | 'altKey' | 'metaKey' | 'shiftKey', boolean>> = {},
) => ({
  key: k,
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

describe('viewer keyboard', () => {
  it('presses a combo in order and releases it in reverse', () => {
    const cad = COMBOS.find((c) => c.label === 'Ctrl+Alt+Del');
    expect(cad).toBeDefined();
    expect(comboEvents(cad?.keys ?? [])).toEqual([
      [1, 0xffe3],
      [1, 0xffe9],
      [1, 0xffff],
      [0, 0xffff],
      [0, 0xffe9],
      [0, 0xffe3],
    ]);
  });

  it('knows which shortcuts the browser keeps', () => {
    expect(browserReserved(key('w', { ctrlKey: true }))).toBe(true);
    expect(browserReserved(key('T', { ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(browserReserved(key('F4', { altKey: true }))).toBe(true);
    expect(browserReserved(key('Escape'))).toBe(true);
    expect(browserReserved(key('c', { ctrlKey: true }))).toBe(false);
    expect(browserReserved(key('t', { ctrlKey: true, altKey: true }))).toBe(false);
    expect(browserReserved(key('a'))).toBe(false);
  });

  it('opens the menu on Ctrl+Alt+Shift, left or right keys', () => {
    const chord = new MenuChord();
    expect(chord.feed(true, KEYSYM.Control_L)).toBe(false);
    expect(chord.feed(true, 0xffea)).toBe(false); // Alt_R
    expect(chord.feed(true, KEYSYM.Shift_L)).toBe(true);
    chord.feed(false, KEYSYM.Shift_L);
    expect(chord.feed(true, KEYSYM.t)).toBe(false);
    chord.reset();
    expect(chord.feed(true, KEYSYM.Shift_L)).toBe(false);
  });
});
