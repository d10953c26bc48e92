/** Number of Unicode code points in `s`: Guacamole element lengths count code points, not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A low surrogate completes a pair already counted by its high surrogate.
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const prev = s.charCodeAt(i - 1);
      if (prev >= 0xd800 && prev <= 0xdbff) continue;
    }
    n++;
  }
  return n;
}

function element(value: string | number): string {
  const s = typeof value === 'number' ? String(Math.trunc(value)) : value;
  return `${codePointLength(s)}.${s}`;
}

/** Encodes one instruction: `opcode` then its arguments, as `len.value,…;`. */
export function encodeInstruction(opcode: string, ...args: ReadonlyArray<string | number>): string {
  let out = element(opcode);
  for (const a of args) out += ',' + element(a);
  return out + ';';
}
