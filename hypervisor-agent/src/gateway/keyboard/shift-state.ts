// Keysyms arrive from the browser as the character the user typed; QEMU turns each into a key
// of the guest's layout (US) using the Shift state it was told about, not the one the character
// needs. Typed text, on-screen and mobile keyboards send "@" with no Shift press, and the guest
// saw "2". This table says which printable keysyms need Shift on a US layout and which must
// have it released. Letters are left to QEMU, which keeps their case (and Caps Lock is the
// guest's); other keysyms (other layouts' letters, function keys) pass unchanged.

export const SHIFT_L = 0xffe1;
export const SHIFT_R = 0xffe2;

/** Printable ASCII on a US keyboard other than letters, by whether it is typed with Shift. */
const SHIFTED = '~!@#$%^&*()_+{}|:"<>?';
const UNSHIFTED = "`1234567890-=[]\\;',./";

const NEEDS = new Map<number, boolean>([
  ...[...SHIFTED].map((c): [number, boolean] => [c.charCodeAt(0), true]),
  ...[...UNSHIFTED].map((c): [number, boolean] => [c.charCodeAt(0), false]),
]);

/** True: typed with Shift; false: without; undefined: either (not a US printable). */
export function needsShift(keysym: number): boolean | undefined {
  return NEEDS.get(keysym);
}
