// `node hypervisor-agent/dist/purge.js [--desktops]`: for `npm run down`, on a stopped agent's
// data dir (FORKDESK_DATA_DIR). Without flags (`down -- --purge`) every VM and template goes,
// and the desktops' shared-memory dir; with --desktops (plain `down`) only the desktops stop:
// templates stay so the next `up` forks at once. Users' home disks live outside the data dir
// and always stay, as does the machine-wide template cache (FORKDESK_TEMPLATE_CACHE_DIR).
import { readdirSync, rmSync } from 'fs';
import { loadConfig } from './config';
import { ForkEngine } from './fork/fork-engine';

const say = (line: string): boolean => process.stderr.write(`forkdesk: ${line}\n`);

async function main(argv: string[]): Promise<void> {
  const desktopsOnly = argv.includes('--desktops');
  const cfg = loadConfig(process.env);
  const engine = await ForkEngine.open(cfg, { warm: false });
  const desktops = engine.listChildren();
  const templates = engine.listTemplates();
  if (desktopsOnly) {
    await engine.close();
    for (const d of desktops) await engine.destroy(d.id);
  } else {
    await engine.destroyAll();
    rmSync(cfg.shmDir, { recursive: true, force: true });
  }
  say(
    desktops.length
      ? `stopped ${desktops.length} desktop(s): ${desktops.map((d) => `${d.id} (pid ${d.pid})`).join(', ')}`
      : 'no desktop was running',
  );
  if (desktopsOnly) {
    const left = readdirSync(cfg.shmDir).length;
    say(
      `kept ${templates.length} template(s) (${left} file(s) in ${cfg.shmDir}) and users' home disks; ` +
        'npm run down -- --purge removes the templates too',
    );
  } else {
    say(`removed ${templates.length} template(s), ${cfg.shmDir} and the desktops' directories`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  say(`stopping the desktops failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
