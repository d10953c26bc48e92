import { encodePixelFormat, PixelFormat } from './pixel-format';

/** RFB encoding numbers the gateway uses (RFC 6143 and the community registry). */
export const Encoding = {
  RAW: 0,
  COPY_RECT: 1,
  ZLIB: 6,
  ZRLE: 16,
  DESKTOP_SIZE: -223,
  LAST_RECT: -224,
  CURSOR: -239,
  EXTENDED_DESKTOP_SIZE: -308,
} as const;

/** Client-to-server messages (RFC 6143 §7.5), encoded byte for byte. */
export function setPixelFormat(pf: PixelFormat): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0, 0]), encodePixelFormat(pf)]);
}

export function setEncodings(encodings: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * encodings.length);
  b[0] = 2;
  b.writeUInt16BE(encodings.length, 2);
  encodings.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
  return b;
}

export function framebufferUpdateRequest(
  incremental: boolean,
  x: number,
  y: number,
  w: number,
  h: number,
): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 3;
  b[1] = incremental ? 1 : 0;
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  b.writeUInt16BE(w, 6);
  b.writeUInt16BE(h, 8);
  return b;
}

export function keyEvent(keysym: number, down: boolean): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 4;
  b[1] = down ? 1 : 0;
  b.writeUInt32BE(keysym >>> 0, 4);
  return b;
}

export function pointerEvent(x: number, y: number, buttonMask: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 5;
  b[1] = buttonMask & 0xff;
  b.writeUInt16BE(clampU16(x), 2);
  b.writeUInt16BE(clampU16(y), 4);
  return b;
}

/** Cut text is ISO 8859-1 in RFB; characters outside it become '?'. */
export function clientCutText(text: string): Buffer {
  const latin1 = Array.from(text, (c) => ((c.codePointAt(0) ?? 0) > 0xff ? '?' : c)).join('');
  const body = Buffer.from(latin1, 'latin1');
  const b = Buffer.alloc(8);
  b[0] = 6;
  b.writeUInt32BE(body.length, 4);
  return Buffer.concat([b, body]);
}

/** SetDesktopSize (ExtendedDesktopSize extension): one screen covering the whole framebuffer. */
export function setDesktopSize(w: number, h: number, screenId: number): Buffer {
  const b = Buffer.alloc(8 + 16);
  b[0] = 251;
  b.writeUInt16BE(w, 2);
  b.writeUInt16BE(h, 4);
  b[6] = 1;
  b.writeUInt32BE(screenId >>> 0, 8);
  b.writeUInt16BE(w, 16);
  b.writeUInt16BE(h, 18);
  return b;
}

function clampU16(v: number): number {
  return Math.max(0, Math.min(0xffff, Math.trunc(v)));
}
