// What goes into the golden desktop image, as data: the recipe is hashed (with the guest-side
// files) to name the cached build, so any change here makes a new image version.
import { createHash } from 'crypto';

export interface PackageGroup {
  why: string;
  packages: string[];
}

/** Debian packages of the golden desktop, installed without recommends. */
export const PACKAGE_GROUPS: PackageGroup[] = [
  {
    why: 'boot: systemd, Debian kernel + a small initramfs for direct kernel boot',
    packages: [
      'systemd',
      'systemd-sysv',
      'udev',
      'dbus',
      'kmod',
      'linux-image-amd64',
      'initramfs-tools',
      'zstd',
    ],
  },
  {
    why: 'host control: the fork hook and readiness run through the guest agent',
    packages: ['qemu-guest-agent'],
  },
  { why: 'tools the fork hook uses', packages: ['procps', 'iproute2', 'e2fsprogs', 'sudo'] },
  {
    why: 'display: Xorg modesetting on QEMU std VGA (bochs-drm), libinput, xrandr/xsetroot, cookies',
    packages: ['xserver-xorg-core', 'xserver-xorg-input-libinput', 'x11-xserver-utils', 'xauth'],
  },
  { why: 'desktop: window manager and panel', packages: ['openbox', 'tint2'] },
  {
    why: 'applications: terminal, file manager, text editor, browser',
    packages: ['xterm', 'pcmanfm', 'mousepad', 'firefox-esr'],
  },
  { why: 'fonts', packages: ['fonts-dejavu-core'] },
  {
    why: 'clipboard with the host (QEMU qemu-vdagent chardev); xclip for scripts and checks',
    packages: ['spice-vdagent', 'xclip'],
  },
];

/** Paths dpkg never unpacks: documentation and translations nobody reads in a VDI desktop. */
export const DPKG_PATH_FILTERS: string[] = [
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/locale/*',
  'path-include=/usr/share/locale/locale.alias',
  'path-exclude=/usr/share/lintian/*',
];

/** Kernel command line: root is the whole virtio disk; quiet, fast boot on a serial console. */
export const GOLDEN_APPEND =
  'root=/dev/vda rw console=ttyS0 quiet loglevel=3 systemd.show_status=0 mitigations=off ' +
  'random.trust_cpu=on fsck.mode=skip net.ifnames=0';

/** Guest command that exits 0 once the image can be frozen (see rootfs/usr/local/sbin). */
export const READY_CHECK = ['/usr/local/sbin/forkdesk-ready'];
export const FORK_HOOK = '/usr/local/sbin/forkdesk-fork-hook';
export const RESIZE_HOOK = '/usr/local/sbin/forkdesk-resize';

export interface GoldenRecipe {
  /** Bumped when the build procedure itself changes. */
  version: number;
  suite: string;
  variant: string;
  mirror: string;
  packages: string[];
  dpkgFilters: string[];
  append: string;
}

export function defaultRecipe(mirror: string): GoldenRecipe {
  return {
    version: 1,
    suite: 'bookworm',
    variant: 'minbase',
    mirror,
    packages: PACKAGE_GROUPS.flatMap((g) => g.packages),
    dpkgFilters: DPKG_PATH_FILTERS,
    append: GOLDEN_APPEND,
  };
}

export interface GuestFile {
  /** Relative to the guest files directory, '/'-separated. */
  path: string;
  mode: number;
  sha256: string;
}

/**
 * The recipe's content hash. The package order and the mirror do not change what is built
 * (the mirror serves the same suite), so neither changes the hash; file modes do.
 */
export function recipeHash(recipe: GoldenRecipe, files: GuestFile[]): string {
  const canonical = {
    version: recipe.version,
    suite: recipe.suite,
    variant: recipe.variant,
    packages: [...new Set(recipe.packages)].sort(),
    dpkgFilters: recipe.dpkgFilters,
    append: recipe.append,
    files: [...files]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((f) => [f.path, (f.mode & 0o777).toString(8), f.sha256]),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}
