import { defaultRecipe, GuestFile, PACKAGE_GROUPS, recipeHash } from './recipe';

const files: GuestFile[] = [
  { path: 'rootfs/usr/local/sbin/forkdesk-fork-hook', mode: 0o755, sha256: 'a'.repeat(64) },
  { path: 'customize.sh', mode: 0o755, sha256: 'b'.repeat(64) },
];

describe('golden recipe', () => {
  const recipe = defaultRecipe('http://deb.debian.org/debian');

  it('installs the desktop the issue asks for, each package once', () => {
    for (const p of [
      'linux-image-amd64',
      'systemd',
      'qemu-guest-agent',
      'xserver-xorg-core',
      'openbox',
      'tint2',
      'xterm',
      'pcmanfm',
      'mousepad',
      'firefox-esr',
      'fonts-dejavu-core',
      'spice-vdagent',
    ]) {
      expect(recipe.packages).toContain(p);
    }
    expect(new Set(recipe.packages).size).toBe(recipe.packages.length);
    expect(PACKAGE_GROUPS.every((g) => g.why.length > 0)).toBe(true);
    expect(recipe.append).toMatch(/root=\/dev\/vda/);
  });

  it('hashes to 16 hex digits, stable under package order, file order and mirror', () => {
    const h = recipeHash(recipe, files);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(
      recipeHash({ ...recipe, packages: [...recipe.packages].reverse() }, [...files].reverse()),
    ).toBe(h);
    expect(recipeHash({ ...recipe, mirror: 'http://mirror.example/debian' }, files)).toBe(h);
  });

  it('changes with packages, the command line, file content or file mode', () => {
    const h = recipeHash(recipe, files);
    expect(recipeHash({ ...recipe, packages: [...recipe.packages, 'htop'] }, files)).not.toBe(h);
    expect(recipeHash({ ...recipe, append: `${recipe.append} debug` }, files)).not.toBe(h);
    expect(recipeHash(recipe, [{ ...files[0]!, sha256: 'c'.repeat(64) }, files[1]!])).not.toBe(h);
    expect(recipeHash(recipe, [{ ...files[0]!, mode: 0o644 }, files[1]!])).not.toBe(h);
    expect(recipeHash({ ...recipe, version: recipe.version + 1 }, files)).not.toBe(h);
  });
});
