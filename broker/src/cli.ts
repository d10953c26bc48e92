// `node broker/dist/cli.js setup-local …`: one-machine set-up for `npm run up`, without HTTP.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'fs';
import { AppModule } from './app.module';
import { createLogger, PinoNestLogger } from './common/logger';
import { loadBrokerConfig } from './config';
import { markLocalDown } from './setup/local-down';
import { setUpLocal } from './setup/local-setup';

const USAGE = `usage: forkdesk-broker setup-local --manifest <path> [--pool <name>] [--memory-mib N]
         [--min-spare N] [--max N] [--enroll-agent <name> --token-file <path>]
       forkdesk-broker local-down --agent-id <id> [--purge yes]`;

function flags(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(USAGE);
    m.set(argv[i].slice(2), argv[i + 1]);
  }
  return m;
}

const positive = (f: Map<string, string>, key: string, def: number): number => {
  const n = Number(f.get(key) ?? def);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${key} must be a whole number`);
  return n;
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd !== 'setup-local' && cmd !== 'local-down') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const f = flags(rest);
  const manifestPath = f.get('manifest');
  if (cmd === 'local-down' ? !f.get('agent-id') : !manifestPath) throw new Error(USAGE);
  if (f.has('enroll-agent') && !f.has('token-file')) throw new Error(USAGE);
  // The scheduler stays off: this process only writes the set-up and exits.
  const config = loadBrokerConfig({ ...process.env, FORKDESK_SCHEDULER: 'false' });
  const log = createLogger(config.logLevel);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, log), {
    logger: new PinoNestLogger(log.child({ component: 'nest' })),
  });
  try {
    if (cmd === 'local-down') {
      const purge = f.get('purge') === 'yes';
      const r = await markLocalDown(app, f.get('agent-id') as string, purge);
      process.stderr.write(
        `forkdesk: the broker's database: ${r.desktops} desktop(s) marked destroyed` +
          `${purge ? `, ${r.templates} template(s) deleted` : ''}, the agent drained until its next start\n`,
      );
      return 0;
    }
    const r = await setUpLocal(app, {
      manifestPath: manifestPath as string,
      imageName: f.get('image') ?? 'Debian desktop',
      poolName: f.get('pool') ?? 'Standard desktop',
      groupName: f.get('group') ?? 'Employees',
      memoryMib: positive(f, 'memory-mib', 1024),
      minSpare: positive(f, 'min-spare', 2),
      maxSize: positive(f, 'max', 10),
      enrollAgent: f.get('enroll-agent'),
    });
    if (r.enrollmentToken)
      writeFileSync(f.get('token-file') as string, r.enrollmentToken, { mode: 0o600 });
    for (const c of r.changes) process.stderr.write(`forkdesk: ${c}\n`);
    if (r.changes.length === 0)
      process.stderr.write('forkdesk: image, pool and group already set up\n');
    return 0;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`forkdesk-broker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
