/**
 * How a bench that starts stacks runs: on DATABASE_URL when set, else on a fresh database of the
 * private cluster, dropped afterwards; a failure is printed and sets the exit code.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { ROOT } from './stack';

const INFRA_CLI = path.join(ROOT, 'infra', 'dist', 'cli.js');

export function benchMain(name: string, body: () => Promise<void>): void {
  const run = async (): Promise<void> => {
    let dropDb: string | undefined;
    if (!process.env.DATABASE_URL) {
      dropDb = execFileSync(process.execPath, [INFRA_CLI, 'db', 'create-test']).toString().trim();
      process.env.DATABASE_URL = dropDb;
    }
    try {
      await body();
    } finally {
      if (dropDb) execFileSync(process.execPath, [INFRA_CLI, 'db', 'drop', dropDb]);
    }
  };
  run().catch((err: unknown) => {
    process.stderr.write(
      `bench ${name} failed: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    process.exitCode = 1;
  });
}
