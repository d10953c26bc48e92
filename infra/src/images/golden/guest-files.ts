// The guest-side files of the golden image (infra/images/golden): found, hashed for the recipe.
import { createHash } from 'crypto';
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative, resolve, sep } from 'path';
import { GuestFile } from './recipe';

/** infra/images/golden, from src/ or from dist/. */
export function guestFilesDir(): string {
  return resolve(__dirname, '..', '..', '..', 'images', 'golden');
}

export interface GuestLayout {
  root: string;
  earlyDir: string;
  rootfsDir: string;
  customizeScript: string;
}

export function guestLayout(root = guestFilesDir()): GuestLayout {
  return {
    root,
    earlyDir: join(root, 'early'),
    rootfsDir: join(root, 'rootfs'),
    customizeScript: join(root, 'customize.sh'),
  };
}

export function listGuestFiles(root: string): GuestFile[] {
  const out: GuestFile[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else
        out.push({
          path: relative(root, p).split(sep).join('/'),
          mode: st.mode & 0o777,
          sha256: createHash('sha256').update(readFileSync(p)).digest('hex'),
        });
    }
  };
  walk(root);
  return out;
}
