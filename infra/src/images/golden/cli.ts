// CLI: `npx tsx --tsconfig infra/tsconfig.json infra/src/images/golden/cli.ts <command>`
//   build [--cache-dir DIR]                         build (or reuse) the golden desktop image
//   import --disk Q --kernel K --initrd I [--append A] [--name N] [--ready-check CMD] [--cache-dir DIR]
// Prints the manifest (JSON) on stdout; progress goes to stderr.
import { buildGoldenImage } from './build';
import { importImage } from './import';

function opt(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const cacheDir = opt(argv, 'cache-dir');
  switch (argv[0]) {
    case 'build': {
      const m = await buildGoldenImage({ cacheDir });
      process.stdout.write(JSON.stringify(m, null, 2) + '\n');
      return 0;
    }
    case 'import': {
      const disk = opt(argv, 'disk');
      const kernel = opt(argv, 'kernel');
      const initrd = opt(argv, 'initrd');
      if (!disk || !kernel || !initrd) break;
      const readyCheck = opt(argv, 'ready-check');
      const m = importImage({
        disk,
        kernel,
        initrd,
        append: opt(argv, 'append'),
        name: opt(argv, 'name'),
        readyCheck: readyCheck ? readyCheck.split(' ') : undefined,
        cacheDir,
      });
      process.stdout.write(JSON.stringify(m, null, 2) + '\n');
      return 0;
    }
  }
  process.stderr.write(
    'usage: cli.ts build [--cache-dir DIR]\n' +
      '       cli.ts import --disk QCOW2 --kernel VMLINUZ --initrd INITRD [--append CMDLINE] [--name NAME] [--ready-check CMD] [--cache-dir DIR]\n',
  );
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`forkdesk: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
