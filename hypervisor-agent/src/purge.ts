// `node hypervisor-agent/dist/purge.js`: destroys every VM and template of a stopped agent's data
// dir (FORKDESK_DATA_DIR), for `npm run down -- --purge`. The machine-wide template cache
// (FORKDESK_TEMPLATE_CACHE_DIR, outside the data dir) is kept: it saves the next start a boot.
import { loadConfig } from './config';
import { ForkEngine } from './fork/fork-engine';

async function main(): Promise<void> {
  const engine = await ForkEngine.open(loadConfig(process.env));
  const n = engine.listChildren().length;
  await engine.destroyAll();
  process.stderr.write(`forkdesk: destroyed ${n} desktop(s) and their templates\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `forkdesk: purge failed: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exitCode = 1;
});
