// The API's TLS identity on disk: the private key (0600, made on this host, never sent), the
// certificate the broker's CA signed at enrollment, and that CA (which signs the clients we accept).

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { TlsMaterial } from '@forkdesk/agent-contract';
import { tlsDir } from '../config';

const FILES = { privateKey: 'agent.key', certificate: 'agent.crt', caCertificate: 'ca.crt' };

/** The stored identity; undefined when the agent was enrolled without TLS (or not yet). */
export async function readTlsIdentity(dataDir: string): Promise<TlsMaterial | undefined> {
  const dir = tlsDir(dataDir);
  const read = (f: string): Promise<string> => fs.readFile(join(dir, f), 'utf8');
  try {
    return {
      privateKey: await read(FILES.privateKey),
      certificate: await read(FILES.certificate),
      caCertificate: await read(FILES.caCertificate),
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the API's TLS files in ${dir}: ${(err as Error).message}`);
  }
}

/** Replaces the identity; the key is written 0600 and the directory 0700. */
export async function writeTlsIdentity(dataDir: string, tls: TlsMaterial): Promise<void> {
  const dir = tlsDir(dataDir);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  for (const [field, file] of Object.entries(FILES) as [keyof TlsMaterial, string][]) {
    const path = join(dir, file);
    const tmp = `${path}.tmp`;
    await fs.writeFile(tmp, tls[field], { mode: field === 'privateKey' ? 0o600 : 0o644 });
    await fs.rename(tmp, path);
  }
}
