// mmdebstrap's command line for a recipe (pure), and running it with its progress streamed.
import { spawn } from 'child_process';
import { GoldenRecipe } from './recipe';

export interface BootstrapPaths {
  /** Empty directory the root tree is made in. */
  target: string;
  /** Guest files unpacked before any package (initramfs-tools config for the kernel's hook). */
  earlyDir: string;
  /** Guest files unpacked over the installed tree. */
  rootfsDir: string;
  /** Script run in the chroot after the packages. */
  customizeScript: string;
  /** Where the installed package list is written (TSV). */
  packageList: string;
}

/** Hook arguments go through `sh -c`: our paths must not need quoting. */
function plainPath(p: string): string {
  if (!/^\/[A-Za-z0-9._/+-]+$/.test(p))
    throw new Error(`path unsuitable for an mmdebstrap hook: ${p}`);
  return p;
}

export function mmdebstrapArgs(recipe: GoldenRecipe, p: BootstrapPaths): string[] {
  for (const pkg of recipe.packages) {
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(pkg)) throw new Error(`bad Debian package name "${pkg}"`);
  }
  if (!/^https?:\/\/[^\s'"]+$/.test(recipe.mirror))
    throw new Error(`bad mirror URL "${recipe.mirror}"`);
  const script = plainPath(p.customizeScript);
  return [
    '--mode=root',
    `--variant=${recipe.variant}`,
    '--format=directory',
    `--include=${recipe.packages.join(',')}`,
    '--aptopt=APT::Install-Recommends "false"',
    '--aptopt=Acquire::Retries "2"',
    ...recipe.dpkgFilters.map((f) => `--dpkgopt=${f}`),
    `--essential-hook=sync-in ${plainPath(p.earlyDir)} /`,
    `--customize-hook=sync-in ${plainPath(p.rootfsDir)} /`,
    `--customize-hook=upload ${script} /tmp/forkdesk-customize.sh`,
    '--customize-hook=chroot "$1" sh -e /tmp/forkdesk-customize.sh',
    '--customize-hook=rm -f "$1/tmp/forkdesk-customize.sh"',
    `--customize-hook=chroot "$1" dpkg-query -W -f '\${Package}\\t\${Version}\\n' > ${plainPath(p.packageList)}`,
    recipe.suite,
    plainPath(p.target),
    recipe.mirror,
  ];
}

export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

/** What went wrong, in words, from mmdebstrap's last output lines. */
export function explainFailure(tail: string): string {
  if (/No space left on device/i.test(tail)) return 'the disk is full';
  if (
    /Temporary failure resolving|Could not resolve|Failed to fetch|Could not connect|Connection timed out|Network is unreachable/i.test(
      tail,
    )
  )
    return "Debian's package mirror cannot be reached";
  if (/Unable to locate package|has no installation candidate/i.test(tail))
    return 'a package of the recipe does not exist in this suite';
  return 'mmdebstrap failed';
}

/** Runs mmdebstrap; `onLine` sees its info lines. Rejects with the reason and its last lines. */
export function runMmdebstrap(args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mmdebstrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let partial = '';
    const take = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        tail.push(l);
        if (tail.length > 40) tail.shift();
        if (l.startsWith('I: ')) onLine(l.slice(3));
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', (err) =>
      reject(
        new BootstrapError(
          `cannot run mmdebstrap (${err.message}): install the mmdebstrap package`,
        ),
      ),
    );
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const text = [...tail, partial].join('\n');
      const last = text.trim().split('\n').slice(-6).join(' | ');
      reject(
        new BootstrapError(`${explainFailure(text)} (mmdebstrap exit ${code ?? signal}): ${last}`),
      );
    });
  });
}
