import { deflateSync, inflateSync } from 'zlib';
import {
  EXT_CLIPBOARD_ENCODING,
  extCaps,
  extNotifyText,
  extProvideText,
  extRequestText,
  parseExtClipboard,
} from './ext-clipboard';
import { RfbProtocolError } from './server-messages';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A server's `provide` body: flags, then zlib(u32 length + NUL-terminated text). */
function provideBody(text: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(text.length, 0);
  return Buffer.concat([hex('10000001'), deflateSync(Buffer.concat([len, text]))]);
}

describe('Extended Clipboard', () => {
  it('is pseudo-encoding 0xC0A1E5CE', () => {
    expect(EXT_CLIPBOARD_ENCODING >>> 0).toBe(0xc0a1e5ce);
  });

  it('encodes client messages as cut text with a negative length, byte for byte', () => {
    expect(extRequestText()).toEqual(hex('06000000 fffffffc 02000001'));
    expect(extNotifyText()).toEqual(hex('06000000 fffffffc 08000001'));
    expect(extCaps(1024)).toEqual(hex('06000000 fffffff8 1f000001 00000400'));
  });

  it('provides text as CRLF UTF-8 under zlib, without the NUL QEMU would pass on', () => {
    const m = extProvideText('a\nb ✓');
    expect(m.subarray(0, 4)).toEqual(hex('06000000'));
    expect(-m.readInt32BE(4)).toBe(m.length - 8);
    expect(m.subarray(8, 12)).toEqual(hex('10000001'));
    const raw = inflateSync(m.subarray(12));
    expect(raw.readUInt32BE(0)).toBe(raw.length - 4);
    expect(raw.subarray(4)).toEqual(Buffer.from('a\r\nb ✓', 'utf8'));
  });

  it('parses what it provides (round trip) and the other actions', () => {
    const provided = extProvideText('grüße\nzwei');
    expect(parseExtClipboard(provided.subarray(8), 1024)).toEqual({
      action: 'provide',
      text: true,
      data: 'grüße\nzwei',
    });
    expect(parseExtClipboard(hex('1f000001 00100000'), 1024)).toEqual({
      action: 'caps',
      text: true,
    });
    expect(parseExtClipboard(hex('08000001'), 1024)).toEqual({ action: 'notify', text: true });
    expect(parseExtClipboard(hex('02000004'), 1024)).toEqual({ action: 'request', text: false });
  });

  it('takes text without a NUL, and stops at the first NUL', () => {
    expect(parseExtClipboard(provideBody(Buffer.from('abc')), 64).data).toBe('abc');
    expect(parseExtClipboard(provideBody(Buffer.from('ab\0cd')), 64).data).toBe('ab');
  });

  it.each([
    ['a short body', hex('0800')],
    ['no action', hex('00000001')],
    ['data that is not zlib', Buffer.concat([hex('10000001'), Buffer.from('nope')])],
    ['a length past the data', Buffer.concat([hex('10000001'), deflateSync(hex('000000ff 41'))])],
    ['text over the limit', provideBody(Buffer.alloc(4096, 0x41))],
  ])('rejects %s', (_n, body) => {
    expect(() => parseExtClipboard(body, 1024)).toThrow(RfbProtocolError);
  });
});
