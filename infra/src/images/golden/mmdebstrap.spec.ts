import { explainFailure, mmdebstrapArgs } from './mmdebstrap';
import { defaultRecipe } from './recipe';

const paths = {
  target: '/cache/golden-x.tmp-1/rootfs',
  earlyDir: '/repo/infra/images/golden/early',
  rootfsDir: '/repo/infra/images/golden/rootfs',
  customizeScript: '/repo/infra/images/golden/customize.sh',
  packageList: '/cache/golden-x.tmp-1/packages.tsv',
};

describe('mmdebstrap arguments', () => {
  const recipe = defaultRecipe('http://deb.debian.org/debian');

  it('builds a minbase bookworm without recommends, with our hooks, ending in suite target mirror', () => {
    const args = mmdebstrapArgs(recipe, paths);
    expect(args).toContain('--mode=root');
    expect(args).toContain('--variant=minbase');
    expect(args).toContain('--aptopt=APT::Install-Recommends "false"');
    expect(args).toContain(`--include=${recipe.packages.join(',')}`);
    expect(args).toContain('--dpkgopt=path-exclude=/usr/share/doc/*');
    expect(args).toContain(`--essential-hook=sync-in ${paths.earlyDir} /`);
    expect(args).toContain(`--customize-hook=sync-in ${paths.rootfsDir} /`);
    expect(args).toContain(
      `--customize-hook=upload ${paths.customizeScript} /tmp/forkdesk-customize.sh`,
    );
    expect(args).toContain(
      `--customize-hook=chroot "$1" dpkg-query -W -f '\${Package}\\t\${Version}\\n' > ${paths.packageList}`,
    );
    expect(args.slice(-3)).toEqual(['bookworm', paths.target, 'http://deb.debian.org/debian']);
  });

  it('refuses paths that would need shell quoting, bad package names and bad mirrors', () => {
    expect(() => mmdebstrapArgs(recipe, { ...paths, packageList: "/tmp/a b'c" })).toThrow(
      /unsuitable/,
    );
    expect(() => mmdebstrapArgs({ ...recipe, packages: ['ok', 'rm -rf'] }, paths)).toThrow(
      /bad Debian package/,
    );
    expect(() => mmdebstrapArgs({ ...recipe, mirror: 'ftp://x' }, paths)).toThrow(/bad mirror/);
  });

  it('explains the usual failures in words', () => {
    expect(explainFailure('W: Temporary failure resolving deb.debian.org')).toMatch(
      /mirror cannot be reached/,
    );
    expect(explainFailure('E: Failed to fetch http://deb.debian.org/...')).toMatch(
      /mirror cannot be reached/,
    );
    expect(explainFailure('tar: write error: No space left on device')).toBe('the disk is full');
    expect(explainFailure('E: Unable to locate package nosuch')).toMatch(/does not exist/);
    expect(explainFailure('something else')).toBe('mmdebstrap failed');
  });
});
