import { ByteQueue } from './byte-queue';
import { cursorRgba } from './client';
import { Framebuffer } from './framebuffer';
import { RfbHandshake, RfbHandshakeError } from './handshake';
import {
  clientCutText,
  framebufferUpdateRequest,
  keyEvent,
  pointerEvent,
  setDesktopSize,
  setEncodings,
  setPixelFormat,
} from './messages';
import { BGRX } from './pixel-format';
import { RfbProtocolError, RfbServerEvent, RfbServerParser } from './server-messages';
import { decodeZrle } from './zrle';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFB client messages', () => {
  it('encodes byte for byte', () => {
    expect(setPixelFormat(BGRX)).toEqual(hex('00000000 20180001 00ff00ff00ff 100800 000000'));
    expect(setEncodings([16, 0, -223])).toEqual(hex('02000003 00000010 00000000 ffffff21'));
    expect(framebufferUpdateRequest(true, 1, 2, 640, 480)).toEqual(hex('0301 0001 0002 0280 01e0'));
    expect(keyEvent(0xff1b, true)).toEqual(hex('0401 0000 0000ff1b'));
    expect(pointerEvent(70000, -5, 0x105)).toEqual(hex('0505 ffff 0000'));
    expect(clientCutText('hé€')).toEqual(hex('06000000 00000003 68e93f'));
    expect(setDesktopSize(800, 600, 7)).toEqual(
      hex('fb00 0320 0258 0100 00000007 0000 0000 0320 0258 00000000'),
    );
  });
});

describe('RFB handshake', () => {
  function run(server: Buffer[]): { sent: Buffer[]; done?: unknown } {
    const q = new ByteQueue();
    const hs = new RfbHandshake(q);
    const sent: Buffer[] = [];
    for (const chunk of server) {
      // Feed one byte at a time: every split point must work.
      for (const b of chunk) {
        q.push(Buffer.from([b]));
        for (;;) {
          const s = hs.step();
          if (s.kind === 'need-more') break;
          if (s.kind === 'done') return { sent, done: s.init };
          sent.push(s.bytes);
        }
      }
    }
    return { sent };
  }

  const serverInit = hex('0500 0320 20180001 00ff00ff00ff 100800 000000 00000004');
  it('completes with security None', () => {
    const r = run([
      Buffer.from('RFB 003.008\n'),
      hex('02 02 01'),
      hex('00000000'),
      Buffer.concat([serverInit, Buffer.from('QEMU')]),
    ]);
    expect(r.sent).toEqual([Buffer.from('RFB 003.008\n'), hex('01'), hex('01')]);
    expect(r.done).toEqual({ width: 1280, height: 800, pixelFormat: BGRX, name: 'QEMU' });
  });

  it.each([
    ['an old version', [Buffer.from('RFB 003.003\n')]],
    ['garbage', [Buffer.from('HTTP/1.1 200')]],
    ['no security types', [Buffer.from('RFB 003.008\n'), hex('00 00000003'), Buffer.from('bad')]],
    ['only VNC auth', [Buffer.from('RFB 003.008\n'), hex('01 02')]],
    [
      'a failed result',
      [Buffer.from('RFB 003.008\n'), hex('01 01 00000001 00000002'), Buffer.from('no')],
    ],
  ])('refuses %s', (_n, server) => {
    expect(() => run(server)).toThrow(RfbHandshakeError);
  });
});

describe('RFB server messages', () => {
  function events(bytes: Buffer, split = 1): RfbServerEvent[] {
    const q = new ByteQueue();
    const p = new RfbServerParser(q);
    const out: RfbServerEvent[] = [];
    for (let i = 0; i < bytes.length; i += split) {
      q.push(bytes.subarray(i, i + split));
      for (let e = p.next(); e; e = p.next()) out.push(e);
    }
    return out;
  }

  const update = Buffer.concat([
    hex('00 00 0006'),
    // raw 1x2 at (1,2)
    hex('0001 0002 0001 0002 00000000'),
    hex('01020300 04050600'),
    // copy 2x2 from (3,4) to (5,6)
    hex('0005 0006 0002 0002 00000001 0003 0004'),
    // zrle with 3 bytes of data
    hex('0000 0000 0004 0004 00000010 00000003 aabbcc'),
    // desktop size 640x480
    hex('0000 0000 0280 01e0 ffffff21'),
    // cursor 2x1, hotspot (1,0)
    hex('0001 0000 0002 0001 ffffff11 11223300 44556600 80'),
    // extended desktop size, one screen
    hex('0001 0003 0320 0258 fffffecc 01000000 0000002a 0000 0000 0320 0258 00000000'),
    // bell, cut text
    hex('02 03000000 00000002 68e9'),
  ]);

  it('parses an update and other messages at any split', () => {
    const whole = events(update, update.length);
    for (const split of [1, 3, 7]) expect(events(update, split)).toEqual(whole);
    expect(whole.map((e) => (e.kind === 'rect' ? e.rect.kind : e.kind))).toEqual([
      'update-begin',
      'raw',
      'copy',
      'zrle',
      'desktop-size',
      'cursor',
      'extended-desktop-size',
      'update-end',
      'bell',
      'cut-text',
    ]);
    expect(whole[1]).toEqual({
      kind: 'rect',
      rect: { kind: 'raw', x: 1, y: 2, w: 1, h: 2, pixels: hex('01020300 04050600') },
    });
    expect(whole[2]).toEqual({
      kind: 'rect',
      rect: { kind: 'copy', x: 5, y: 6, w: 2, h: 2, srcX: 3, srcY: 4 },
    });
    expect(whole[3]).toMatchObject({ rect: { kind: 'zrle', zlibData: hex('aabbcc') } });
    expect(whole[5]).toMatchObject({ rect: { kind: 'cursor', hotX: 1, hotY: 0, mask: hex('80') } });
    expect(whole[6]).toMatchObject({
      rect: { reason: 1, status: 3, w: 800, h: 600, screens: [{ id: 42, w: 800, h: 600 }] },
    });
    expect(whole[9]).toEqual({ kind: 'cut-text', text: 'hé' });
  });

  it('ends an update at LastRect', () => {
    const b = Buffer.concat([hex('00 00 ffff'), hex('0000 0000 0000 0000 ffffff20'), hex('02')]);
    expect(events(b).map((e) => e.kind)).toEqual(['update-begin', 'update-end', 'bell']);
  });

  it.each([
    ['an unknown message type', hex('07')],
    ['an unrequested encoding', hex('00 00 0001 0000 0000 0001 0001 00000005')],
    ['an oversized cut text', hex('03000000 7fffffff')],
  ])('rejects %s', (_n, b) => {
    expect(() => events(b)).toThrow(RfbProtocolError);
  });
});

describe('ZRLE decoding', () => {
  const px = (fb: Framebuffer, x: number, y: number): number[] => {
    const o = (y * fb.width + x) * 4;
    return [...fb.data.subarray(o, o + 4)];
  };

  it('decodes raw, solid, packed palette, plain RLE and palette RLE tiles', () => {
    // A 66x2 rectangle spans two tiles: 64x2 then 2x2.
    const fb = new Framebuffer(70, 3);
    const solid = hex('01 0a0b0c');
    const packed = hex('02 010101 020202 80 40'); // 2-colour palette, 1 bit per pixel, rows padded
    decodeZrle(Buffer.concat([solid, packed]), 1, 1, 66, 2, fb);
    expect(px(fb, 1, 1)).toEqual([10, 11, 12, 255]);
    expect(px(fb, 64, 2)).toEqual([10, 11, 12, 255]);
    expect(px(fb, 65, 1)).toEqual([2, 2, 2, 255]);
    expect(px(fb, 66, 1)).toEqual([1, 1, 1, 255]);
    expect(px(fb, 65, 2)).toEqual([1, 1, 1, 255]);
    expect(px(fb, 66, 2)).toEqual([2, 2, 2, 255]);

    const f2 = new Framebuffer(3, 2);
    decodeZrle(hex('00 010203 040506 070809 0a0b0c 0d0e0f 101112'), 0, 0, 3, 2, f2);
    expect(px(f2, 2, 1)).toEqual([16, 17, 18, 255]);
    decodeZrle(hex('80 aaaaaa 04 bbbbbb 00'), 0, 0, 3, 2, f2);
    expect(px(f2, 1, 1)).toEqual([0xaa, 0xaa, 0xaa, 255]);
    expect(px(f2, 2, 1)).toEqual([0xbb, 0xbb, 0xbb, 255]);
    decodeZrle(hex('82 111111 222222 81 02 00 01 01'), 0, 0, 3, 2, f2);
    expect(px(f2, 2, 0)).toEqual([0x22, 0x22, 0x22, 255]);
    expect(px(f2, 0, 1)).toEqual([0x11, 0x11, 0x11, 255]);
    expect(px(f2, 2, 1)).toEqual([0x22, 0x22, 0x22, 255]);
  });

  it.each([
    ['truncated data', hex('00 0102')],
    ['a palette index out of range', hex('03 010101 020202 030303 ff ff')],
    ['a run past the tile', hex('80 aaaaaa 09')],
    ['a bad subencoding', hex('81')],
  ])('rejects %s', (_n, b) => {
    expect(() => decodeZrle(b, 0, 0, 2, 2, new Framebuffer(2, 2))).toThrow(RfbProtocolError);
  });
});

describe('Framebuffer and cursor', () => {
  it('copies overlapping rectangles correctly', () => {
    const fb = new Framebuffer(4, 4);
    for (let i = 0; i < 16; i++) fb.data[i * 4] = i;
    fb.copy(0, 0, 1, 1, 3, 3);
    expect([...fb.extract(1, 1, 3, 3)].filter((_, i) => i % 4 === 0)).toEqual([
      0, 1, 2, 4, 5, 6, 8, 9, 10,
    ]);
  });

  it('turns cursor pixels and mask into RGBA', () => {
    expect(cursorRgba({ w: 2, h: 1, pixels: hex('01020300 04050600'), mask: hex('80') })).toEqual(
      hex('030201ff 06050400'),
    );
  });
});
