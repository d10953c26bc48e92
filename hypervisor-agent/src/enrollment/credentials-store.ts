// The agent's credentials on disk: one JSON file, mode 0600, replaced atomically.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { isAgentCredentials, type AgentCredentials } from '@forkdesk/agent-contract';

export interface StoredCredentials {
  credentials: AgentCredentials;
  /** True when the file was readable by others and has been tightened to 0600. */
  tightened: boolean;
}

/** Reads the stored credentials; undefined when none are stored yet. */
export async function readCredentials(path: string): Promise<StoredCredentials | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`credentials file ${path} is not valid JSON`);
  }
  if (!isAgentCredentials(parsed)) {
    throw new Error(`credentials file ${path} lacks agentId, apiToken or displayKey`);
  }
  const mode = (await fs.stat(path)).mode & 0o777;
  const tightened = mode !== 0o600;
  if (tightened) await fs.chmod(path, 0o600);
  const { agentId, apiToken, displayKey, heartbeatToken } = parsed;
  const credentials = heartbeatToken
    ? { agentId, apiToken, heartbeatToken, displayKey }
    : { agentId, apiToken, displayKey };
  return { credentials, tightened };
}

/** Writes the credentials (0600) through a temporary file so a crash never leaves half a file. */
export async function writeCredentials(path: string, credentials: AgentCredentials): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const file = await fs.open(tmp, 'wx', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(credentials, null, 2)}\n`, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
