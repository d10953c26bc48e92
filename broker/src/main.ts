// `node broker/dist/main.js`: the broker on FORKDESK_BROKER_HOST:FORKDESK_BROKER_PORT.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createLogger } from './common/logger';
import { loadBrokerConfig } from './config';
import { createBrokerApp } from './create-app';

async function main(): Promise<void> {
  const config = loadBrokerConfig();
  const log = createLogger(config.logLevel);
  const app = await createBrokerApp(config, log);
  if (await app.get(DataSource).showMigrations()) {
    log.error('the database schema is behind: run `node infra/dist/cli.js db migrate` first');
    await app.close();
    process.exitCode = 1;
    return;
  }
  await app.listen(config.port, config.host);
  log.info(
    { url: config.publicUrl, host: config.host, port: config.port, tls: config.tls !== undefined },
    'broker listening',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`forkdesk-broker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
