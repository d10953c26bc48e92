#!/usr/bin/env node
// The bootstrap's TypeScript half: private PostgreSQL, migrations, seed. Called by infra/bootstrap/*.sh.
import { createDataSource, seedFirstAdmin } from '@forkdesk/db';
import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import { buildGoldenImage } from './images/golden/build';
import { MANIFEST_FILE } from './images/cache';
import { buildTinyImage } from './images/tiny-image';
import { PrivateCluster } from './pg/private-cluster';
import { freePort } from './util/ports';
import { leftovers, reap, sample, saveSeen, topDirs, type Seen } from './util/leftovers';
import { findOrphans, markCheckout, removeOrphan } from './util/orphans';
import { serviceBaseDir } from './util/paths';

const say = (line: string): void => {
  process.stderr.write(`forkdesk: ${line}\n`);
};

const USAGE = `usage: forkdesk-infra <command>
  pg start | pg stop | pg status      the private PostgreSQL cluster
  pg url [database]                   print its connection URL
  db create-test                      create a fresh test database, print its URL
  db drop <url>                       drop a test database made by create-test, with the per-file ones
  db migrate                          run pending migrations on DATABASE_URL (or the private cluster)
  db seed                             create the first admin once and print its password
  image build golden|tiny             build (or reuse from the cache) an image, print its manifest path
  port <preferred>                    print the preferred port when free, else the next free one
  service-dir                         print where service-owned files of this checkout live
  orphans list | orphans remove       desktops and services of checkouts that no longer exist
  leftovers watch <file> <pid> <run>  record what the processes of a test run hold, until SIGTERM
  leftovers check <file> [--reap]     name each of those still there (exit 1 if any); --reap
                                      also stops and removes them`;

/** Runs `fn` on DATABASE_URL, or on the private cluster (started when needed). */
async function withDatabase<T>(
  cluster: PrivateCluster,
  fn: (ds: ReturnType<typeof createDataSource>) => Promise<T>,
): Promise<T> {
  const url = process.env.DATABASE_URL ?? cluster.url(await cluster.start());
  const ds = createDataSource({ url, poolSize: 2 });
  await ds.initialize();
  try {
    return await fn(ds);
  } finally {
    await ds.destroy();
  }
}

/** Samples the run's processes every second into `file` until SIGTERM. */
async function watchLeftovers(file: string, rootPid: string, runId: string): Promise<number> {
  const seen: Seen = {
    rootPid: Number(rootPid),
    runId,
    startedAt: Date.now(),
    processes: {},
    namespaces: {},
    dirs: [],
    before: topDirs(),
  };
  // This checkout's own PostgreSQL and Nx's daemon outlive a test run by design.
  const own = `${serviceBaseDir()}/pg`;
  const ignore = (cmd: string): boolean => cmd.includes(own) || /nx\/src\/daemon/.test(cmd);
  let stop = false;
  process.on('SIGTERM', () => {
    stop = true;
  });
  while (!stop) {
    sample(seen, ignore);
    saveSeen(file, seen);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [group, cmd, arg] = argv;
  if (group === 'port' && Number.isInteger(Number(cmd))) {
    process.stdout.write(`${await freePort(Number(cmd))}\n`);
    return 0;
  }
  if (group === 'service-dir') {
    markCheckout(serviceBaseDir());
    process.stdout.write(`${serviceBaseDir()}\n`);
    return 0;
  }
  if (group === 'orphans' && (cmd === 'list' || cmd === 'remove')) {
    const orphans = findOrphans();
    for (const o of orphans) {
      say(
        `${cmd === 'remove' ? 'removing' : 'found'} ${o.serviceDir}: its checkout ${o.checkout} no longer exists (${o.pids.length} process(es) still running: ${o.pids.join(' ') || 'none'})`,
      );
      if (cmd === 'remove') await removeOrphan(o);
    }
    if (cmd === 'list' && orphans.length > 0)
      say('npm run down -- --all-orphans stops and removes them');
    return 0;
  }
  if (group === 'leftovers' && cmd === 'watch') return watchLeftovers(arg, argv[3], argv[4]);
  if (group === 'leftovers' && cmd === 'check') {
    const seen = JSON.parse(readFileSync(arg, 'utf8')) as Seen;
    const found = leftovers(seen);
    for (const l of found) say(`left behind by the tests: ${l}`);
    // So that a later run on this machine is not slowed by them; the run still fails.
    if (argv[3] === '--reap') for (const l of await reap(seen)) say(`removed ${l}`);
    say(
      found.length
        ? `${found.length} leftover(s) of this test run (see above): each test must stop and remove what it starts`
        : 'no leftovers: the tests stopped and removed every VM, namespace, directory and server they started',
    );
    return found.length ? 1 : 0;
  }
  const cluster = new PrivateCluster(say);
  switch (`${group} ${cmd}`) {
    case 'pg start':
      await cluster.start();
      return 0;
    case 'pg stop':
      cluster.stop();
      return 0;
    case 'pg status': {
      const port = cluster.runningPort();
      say(
        port === undefined
          ? 'private PostgreSQL is stopped'
          : `private PostgreSQL runs on 127.0.0.1:${port}`,
      );
      return port === undefined ? 3 : 0;
    }
    case 'pg url': {
      const state = await cluster.start();
      process.stdout.write(`${cluster.url(state, arg)}\n`);
      return 0;
    }
    case 'db create-test': {
      const state = await cluster.start();
      const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
      const name = `forkdesk_test_${stamp}_${randomBytes(3).toString('hex')}`;
      await cluster.ensureDatabase(name, state, 'test');
      process.stdout.write(`${cluster.url(state, name, 'test')}\n`);
      return 0;
    }
    case 'db drop': {
      const name = arg ? new URL(arg).pathname.slice(1) : '';
      if (!name.startsWith('forkdesk_test_')) {
        say(`refusing to drop '${name}': only databases made by 'db create-test'`);
        return 2;
      }
      const state = await cluster.start();
      for (const db of await cluster.databases(state)) {
        if (db === name || db.startsWith(`${name}_`)) await cluster.dropDatabase(db, state);
      }
      return 0;
    }
    case 'db migrate': {
      const applied = await withDatabase(cluster, (ds) =>
        ds.runMigrations({ transaction: 'each' }),
      );
      say(
        applied.length
          ? `applied migrations: ${applied.map((m) => m.name).join(', ')}`
          : 'database schema is up to date',
      );
      return 0;
    }
    case 'db seed': {
      const admin = await withDatabase(cluster, (ds) => seedFirstAdmin(ds));
      if (admin) {
        process.stdout.write(
          `\n  First admin created — this password is shown only once:\n    user: ${admin.username}\n    password: ${admin.password}\n\n`,
        );
      } else {
        say('an admin exists already (its password was printed at the first start)');
      }
      return 0;
    }
    case 'image build': {
      if (arg !== 'golden' && arg !== 'tiny') break;
      const m = arg === 'tiny' ? buildTinyImage() : await buildGoldenImage();
      process.stdout.write(`${join(dirname(m.disk), MANIFEST_FILE)}\n`);
      return 0;
    }
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
