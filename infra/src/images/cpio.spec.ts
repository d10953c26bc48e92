import { execFileSync } from 'child_process';
import { encodeCpio } from './cpio';

describe('encodeCpio', () => {
  it('encodes one file byte for byte in newc format', () => {
    const out = encodeCpio([{ kind: 'file', path: '/a', data: Buffer.from('hi'), mode: 0o644 }]);
    const expectedHeader =
      '070701' +
      '00000001' +
      '000081a4' +
      '00000000' +
      '00000000' +
      '00000001' +
      '00000000' +
      '00000002' +
      '00000000' +
      '00000000' +
      '00000000' +
      '00000000' +
      '00000002' +
      '00000000';
    // 110-byte header + "a\0" = 112, already 4-aligned; data "hi" padded to 4.
    const first = Buffer.concat([
      Buffer.from(expectedHeader, 'ascii'),
      Buffer.from('a\0'),
      Buffer.from('hi\0\0'),
    ]);
    expect(out.subarray(0, first.length)).toEqual(first);
    expect(out.subarray(first.length + 110, first.length + 110 + 11).toString()).toBe(
      'TRAILER!!!\0',
    );
    expect(out.length % 4).toBe(0);
  });

  it('is read back by the system cpio with modes, links and device nodes', () => {
    const out = encodeCpio([
      { kind: 'dir', path: 'bin' },
      { kind: 'file', path: 'bin/x', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { kind: 'symlink', path: 'bin/y', target: 'x' },
      { kind: 'chardev', path: 'console', major: 5, minor: 1 },
    ]);
    const listing = execFileSync('cpio', ['-itv', '--quiet'], { input: out }).toString();
    expect(listing).toMatch(/^drwxr-xr-x .* bin$/m);
    expect(listing).toMatch(/^-rwxr-xr-x .* bin\/x$/m);
    expect(listing).toMatch(/^lrwxrwxrwx .* bin\/y -> x$/m);
    expect(listing).toMatch(/^crw------- .* 5,\s+1 .* console$/m);
  });

  it('rejects an empty path', () => {
    expect(() => encodeCpio([{ kind: 'dir', path: '/' }])).toThrow(/empty path/);
  });
});
