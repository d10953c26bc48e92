// Image versions known to this agent: kernel, initrd, base disk and command line, copied into
// the data dir so QEMU (running unprivileged) can read them wherever they were built.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'fs';
import { join } from 'path';
import { readJson, writeJsonAtomic } from '../vm/state-file';

import type { ImageSource } from '@forkdesk/agent-contract';

export type { ImageSource };

export interface ImageVersion extends ImageSource {
  version: string;
}

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class ImageStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  get(version: string): ImageVersion | undefined {
    if (!VERSION_RE.test(version)) return undefined;
    return readJson<ImageVersion>(join(this.dir, version, 'image.json'));
  }

  require(version: string): ImageVersion {
    const img = this.get(version);
    if (!img) throw new Error(`unknown image version "${version}": import it first`);
    return img;
  }

  list(): ImageVersion[] {
    return readdirSync(this.dir)
      .map((v) => this.get(v))
      .filter((i): i is ImageVersion => i !== undefined);
  }

  /** Copies an image build in as `version` (idempotent for the same content hash). */
  import(version: string, src: ImageSource): ImageVersion {
    if (!VERSION_RE.test(version)) throw new Error(`bad image version "${version}"`);
    const existing = this.get(version);
    if (existing && existing.hash === src.hash) return existing;
    if (existing) throw new Error(`image version "${version}" already exists with other content`);
    for (const f of [src.kernel, src.initrd, src.disk]) {
      if (!existsSync(f)) throw new Error(`image file ${f} does not exist`);
    }
    const final = join(this.dir, version);
    const tmp = `${final}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    chmodSync(tmp, 0o755);
    const img: ImageVersion = {
      version,
      kernel: join(final, 'vmlinuz'),
      initrd: join(final, 'initrd.img'),
      disk: join(final, 'disk.qcow2'),
      append: src.append,
      readyCheck: src.readyCheck,
      forkHook: src.forkHook,
      resizeHook: src.resizeHook,
      hash: src.hash,
    };
    copyFileSync(src.kernel, join(tmp, 'vmlinuz'));
    copyFileSync(src.initrd, join(tmp, 'initrd.img'));
    copyFileSync(src.disk, join(tmp, 'disk.qcow2'));
    // Base images are shared by every template: nobody writes them again.
    for (const f of ['vmlinuz', 'initrd.img', 'disk.qcow2']) chmodSync(join(tmp, f), 0o444);
    writeJsonAtomic(join(tmp, 'image.json'), img);
    renameSync(tmp, final);
    return img;
  }
}
