// The Extended Clipboard pseudo-encoding (RFB community extension, as QEMU implements it):
// UTF-8 text in zlib-compressed cut-text messages with a negative length. QEMU only passes a
// guest's clipboard (qemu-vdagent) to clients that speak it; plain cut text is client → server
// and Latin-1 only. Pure: encoders and a parser, no I/O.
import { deflateSync, inflateSync } from 'zlib';
import { RfbProtocolError } from './server-messages';

export const EXT_CLIPBOARD_ENCODING = 0xc0a1e5ce | 0;

export const ExtFlag = {
  TEXT: 1 << 0,
  CAPS: 1 << 24,
  REQUEST: 1 << 25,
  PEEK: 1 << 26,
  NOTIFY: 1 << 27,
  PROVIDE: 1 << 28,
} as const;

const ACTIONS = [ExtFlag.CAPS, ExtFlag.REQUEST, ExtFlag.PEEK, ExtFlag.NOTIFY, ExtFlag.PROVIDE];

export type ExtAction = 'caps' | 'request' | 'peek' | 'notify' | 'provide';
const ACTION_NAMES: Record<number, ExtAction> = {
  [ExtFlag.CAPS]: 'caps',
  [ExtFlag.REQUEST]: 'request',
  [ExtFlag.PEEK]: 'peek',
  [ExtFlag.NOTIFY]: 'notify',
  [ExtFlag.PROVIDE]: 'provide',
};

export interface ExtClipboardMessage {
  action: ExtAction;
  /** Whether the message concerns plain text (the only format we use). */
  text: boolean;
  /** The text a `provide` carries. */
  data?: string;
}

/** Parses the body of a cut-text message whose length was negative. */
export function parseExtClipboard(body: Buffer, maxText: number): ExtClipboardMessage {
  if (body.length < 4) throw new RfbProtocolError('extended clipboard message too short');
  const flags = body.readUInt32BE(0);
  const actionBit = ACTIONS.find((a) => (flags & a) !== 0);
  if (actionBit === undefined)
    throw new RfbProtocolError('extended clipboard message without action');
  const action = ACTION_NAMES[actionBit] as ExtAction;
  const text = (flags & ExtFlag.TEXT) !== 0;
  if (action !== 'provide' || !text) return { action, text };
  let raw: Buffer;
  try {
    raw = inflateSync(body.subarray(4), { maxOutputLength: maxText + 4 });
  } catch {
    throw new RfbProtocolError('bad or oversized extended clipboard data');
  }
  // Text is the first format present: u32 length, then UTF-8 ending in a NUL.
  if (raw.length < 4) throw new RfbProtocolError('extended clipboard text truncated');
  const len = raw.readUInt32BE(0);
  if (len > raw.length - 4) throw new RfbProtocolError('extended clipboard text truncated');
  const bytes = raw.subarray(4, 4 + len);
  const end = bytes.indexOf(0);
  const data = bytes
    .subarray(0, end < 0 ? bytes.length : end)
    .toString('utf8')
    .replace(/\r\n/g, '\n');
  return { action, text, data };
}

function clientMessage(payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = 6;
  head.writeInt32BE(-payload.length, 4);
  return Buffer.concat([head, payload]);
}

function flagsOnly(flags: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(flags >>> 0, 0);
  return clientMessage(b);
}

/** Our capabilities: text only, every action, up to `maxText` bytes unsolicited. */
export function extCaps(maxText: number): Buffer {
  const b = Buffer.alloc(8);
  const actions = ExtFlag.REQUEST | ExtFlag.PEEK | ExtFlag.NOTIFY | ExtFlag.PROVIDE;
  b.writeUInt32BE((ExtFlag.CAPS | actions | ExtFlag.TEXT) >>> 0, 0);
  b.writeUInt32BE(maxText, 4);
  return clientMessage(b);
}

export const extRequestText = (): Buffer => flagsOnly(ExtFlag.REQUEST | ExtFlag.TEXT);
export const extNotifyText = (): Buffer => flagsOnly(ExtFlag.NOTIFY | ExtFlag.TEXT);

/**
 * Text as the extension wants it: CRLF line ends, UTF-8, zlib-compressed. No terminating NUL,
 * unlike the extension's text: QEMU hands the bytes to the guest as they are, NUL included.
 */
export function extProvideText(text: string): Buffer {
  const utf8 = Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(utf8.length, 0);
  const flags = Buffer.alloc(4);
  flags.writeUInt32BE((ExtFlag.PROVIDE | ExtFlag.TEXT) >>> 0, 0);
  return clientMessage(Buffer.concat([flags, deflateSync(Buffer.concat([len, utf8]))]));
}
