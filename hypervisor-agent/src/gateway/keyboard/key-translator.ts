import { needsShift, SHIFT_L, SHIFT_R } from './shift-state';

/** One RFB KeyEvent: a keysym pressed or released. */
export interface KeyEvent {
  keysym: number;
  down: boolean;
}

/**
 * Turns the client's key presses into the guest's: a character whose Shift state differs from
 * the Shift keys the client holds is sent inside a momentary Shift press (or release), so the
 * guest types the character the user typed. Pure: it only tracks which Shift keys are down.
 */
export class KeyTranslator {
  private readonly shifts = new Set<number>();

  translate(keysym: number, down: boolean): KeyEvent[] {
    if (keysym === SHIFT_L || keysym === SHIFT_R) {
      if (down) this.shifts.add(keysym);
      else this.shifts.delete(keysym);
      return [{ keysym, down }];
    }
    const need = needsShift(keysym);
    const held = this.shifts.size > 0;
    // A release is only a key up: which character it was is settled at the press.
    if (!down || need === undefined || need === held) return [{ keysym, down }];
    if (need)
      return [
        { keysym: SHIFT_L, down: true },
        { keysym, down: true },
        { keysym: SHIFT_L, down: false },
      ];
    const heldKeys = [...this.shifts];
    return [
      ...heldKeys.map((k) => ({ keysym: k, down: false })),
      { keysym, down: true },
      ...heldKeys.map((k) => ({ keysym: k, down: true })),
    ];
  }
}
