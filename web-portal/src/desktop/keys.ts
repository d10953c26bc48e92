/** Keyboard handling around Guacamole.Keyboard: key combos to send, and browser-reserved shortcuts. */

/** X11 keysyms used by the combos below. */
export const KEYSYM = {
  Control_L: 0xffe3,
  Alt_L: 0xffe9,
  Shift_L: 0xffe1,
  Super_L: 0xffeb,
  Delete: 0xffff,
  BackSpace: 0xff08,
  Tab: 0xff09,
  Escape: 0xff1b,
  F4: 0xffc1,
  F11: 0xffc8,
  t: 0x74,
  w: 0x77,
  n: 0x6e,
} as const;

export interface Combo {
  label: string;
  keys: number[];
}

/** Shortcuts the browser or the OS would keep for itself; the viewer menu sends them instead. */
export const COMBOS: Combo[] = [
  { label: 'Ctrl+Alt+Del', keys: [KEYSYM.Control_L, KEYSYM.Alt_L, KEYSYM.Delete] },
  { label: 'Ctrl+Alt+T', keys: [KEYSYM.Control_L, KEYSYM.Alt_L, KEYSYM.t] },
  { label: 'Alt+Tab', keys: [KEYSYM.Alt_L, KEYSYM.Tab] },
  { label: 'Alt+F4', keys: [KEYSYM.Alt_L, KEYSYM.F4] },
  { label: 'Ctrl+W', keys: [KEYSYM.Control_L, KEYSYM.w] },
  { label: 'Ctrl+T', keys: [KEYSYM.Control_L, KEYSYM.t] },
  { label: 'Ctrl+N', keys: [KEYSYM.Control_L, KEYSYM.n] },
  { label: 'Ctrl+Tab', keys: [KEYSYM.Control_L, KEYSYM.Tab] },
  { label: 'Super', keys: [KEYSYM.Super_L] },
  { label: 'Esc', keys: [KEYSYM.Escape] },
  { label: 'F11', keys: [KEYSYM.F11] },
];

/** Press in order, release in reverse: what a person's fingers do. */
export function comboEvents(keys: readonly number[]): [pressed: 0 | 1, keysym: number][] {
  return [
    ...keys.map((k): [0 | 1, number] => [1, k]),
    ...[...keys].reverse().map((k): [0 | 1, number] => [0, k]),
  ];
}

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

/**
 * Shortcuts a page cannot take from Chromium unless it is fullscreen with the Keyboard Lock API
 * (navigator.keyboard.lock); the viewer tells the user to use fullscreen or the Keys menu.
 */
export function browserReserved(e: KeyLike): boolean {
  const k = e.key.toLowerCase();
  if (e.ctrlKey && !e.altKey && ['w', 't', 'n', 'tab', 'pageup', 'pagedown'].includes(k))
    return true;
  if (e.altKey && !e.ctrlKey && (k === 'f4' || k === 'tab')) return true;
  if (e.metaKey) return true;
  return k === 'escape' || k === 'f11';
}

/** Ctrl+Alt+Shift held together opens the viewer menu (as in Apache Guacamole's own client). */
export class MenuChord {
  private readonly down = new Set<number>();

  /** Feeds a key event; true when this press completes the chord. */
  feed(pressed: boolean, keysym: number): boolean {
    if (!pressed) {
      this.down.delete(keysym);
      return false;
    }
    this.down.add(keysym);
    const has = (a: number, b: number): boolean => this.down.has(a) || this.down.has(b);
    return (
      has(KEYSYM.Control_L, 0xffe4) && has(KEYSYM.Alt_L, 0xffea) && has(KEYSYM.Shift_L, 0xffe2)
    );
  }

  reset(): void {
    this.down.clear();
  }
}
