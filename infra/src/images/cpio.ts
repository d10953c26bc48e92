// A pure writer of the cpio "newc" format (what the Linux kernel unpacks as an initramfs).
// Writing it ourselves lets an unprivileged build set root ownership and create device nodes
// without fakeroot or mknod.

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

function record(
  ino: number,
  name: string,
  mode: number,
  data: Buffer,
  rdev: { major: number; minor: number },
): Buffer {
  const nameBuf = Buffer.from(`${name}\0`, 'utf8');
  const header =
    '070701' +
    hex8(ino) +
    hex8(mode) +
    hex8(0) + // uid: root
    hex8(0) + // gid: root
    hex8(1) + // nlink
    hex8(0) + // mtime: fixed, so the archive is reproducible
    hex8(data.length) +
    hex8(0) + // devmajor
    hex8(0) + // devminor
    hex8(rdev.major) +
    hex8(rdev.minor) +
    hex8(nameBuf.length) +
    hex8(0); // check
  const head = Buffer.concat([Buffer.from(header, 'ascii'), nameBuf]);
  return Buffer.concat([head, pad4(head.length), data, pad4(data.length)]);
}

/** Encodes entries (parents before children) into one newc archive with its trailer. */
export function encodeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const none = { major: 0, minor: 0 };
  entries.forEach((e, i) => {
    const path = e.path.replace(/^\/+/, '');
    if (path === '') throw new Error('cpio: empty path');
    const ino = i + 1;
    switch (e.kind) {
      case 'dir':
        parts.push(record(ino, path, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), none));
        break;
      case 'file':
        parts.push(record(ino, path, S_IFREG | (e.mode ?? 0o644), e.data, none));
        break;
      case 'symlink':
        parts.push(record(ino, path, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8'), none));
        break;
      case 'chardev':
        parts.push(
          record(ino, path, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), {
            major: e.major,
            minor: e.minor,
          }),
        );
        break;
    }
  });
  parts.push(record(0, 'TRAILER!!!', 0, Buffer.alloc(0), none));
  return Buffer.concat(parts);
}
