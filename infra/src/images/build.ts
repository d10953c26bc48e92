// CLI: `npx tsx infra/src/images/build.ts [--cache-dir DIR]` builds the tiny test image and
// prints its manifest (JSON) on stdout; progress goes to stderr.
import { buildTinyImage } from './tiny-image';

function main(): void {
  const i = process.argv.indexOf('--cache-dir');
  const cacheDir = i > 0 ? process.argv[i + 1] : undefined;
  const manifest = buildTinyImage({ cacheDir });
  process.stdout.write(JSON.stringify(manifest) + '\n');
}

main();
