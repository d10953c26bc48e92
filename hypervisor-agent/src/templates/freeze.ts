// Freezing a running VM whose RAM is a shared file: only device state is written (RAM stays in
// the file thanks to x-ignore-shared), to a file through QEMU's own `file:` migration.
import { JsonChannel } from '../qmp/client';

interface MigrateStatus {
  status?: string;
  'error-desc'?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function setIgnoreShared(qmp: JsonChannel): Promise<void> {
  await qmp.execute('migrate-set-capabilities', {
    capabilities: [{ capability: 'x-ignore-shared', state: true }],
  });
}

/** Polls query-migrate until completed; throws with QEMU's reason when it fails. */
export async function waitMigration(
  qmp: JsonChannel,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    const st = await qmp.execute<MigrateStatus>('query-migrate');
    if (st.status === 'completed') return;
    if (st.status === 'failed' || st.status === 'cancelled') {
      throw new Error(`${what} ${st.status}: ${st['error-desc'] ?? 'no reason given'}`);
    }
    if (Date.now() > deadline)
      throw new Error(`${what} not completed within ${timeoutMs} ms (${st.status})`);
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
}

/** stop + x-ignore-shared + migrate to `file:` + quit. The VM must not run again after this. */
export async function freezeToFile(
  qmp: JsonChannel,
  stateFile: string,
  timeoutMs = 60_000,
): Promise<void> {
  await qmp.execute('stop');
  await setIgnoreShared(qmp);
  await qmp.execute('migrate', { uri: `file:${stateFile}` });
  await waitMigration(qmp, 'freeze migration', timeoutMs);
  await qmp.execute('quit').catch(() => undefined);
}
