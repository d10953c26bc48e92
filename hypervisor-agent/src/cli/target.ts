// Which agent the CLI talks to: flags, then environment, then the agent's data dir.

import { readFileSync } from 'node:fs';
import { credentialsPath, DEFAULT_API_PORT, DEFAULT_DATA_DIR, endpointPath } from '../config';
import type { GlobalOptions } from './args';

export interface AgentTarget {
  url: string;
  token: string;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES') throw new Error(`cannot read ${path} (permission denied)`);
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function stringField(v: unknown, key: string): string | undefined {
  const f = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  return typeof f === 'string' && f ? f : undefined;
}

export function resolveTarget(opts: GlobalOptions, env: NodeJS.ProcessEnv): AgentTarget {
  const fromEnv = (name: string) => env[name] || undefined;
  const dataDir = opts.dataDir ?? fromEnv('FORKDESK_DATA_DIR') ?? DEFAULT_DATA_DIR;
  const url =
    opts.url ??
    fromEnv('FORKDESK_AGENT_URL') ??
    stringField(readJson(endpointPath(dataDir)), 'url') ??
    `http://127.0.0.1:${DEFAULT_API_PORT}`;
  const token =
    opts.token ??
    fromEnv('FORKDESK_AGENT_TOKEN') ??
    stringField(readJson(credentialsPath(dataDir)), 'apiToken');
  if (!token) {
    throw new Error(
      `no agent token: pass --token, set FORKDESK_AGENT_TOKEN, or run where ${credentialsPath(dataDir)} is readable`,
    );
  }
  return { url: url.replace(/\/+$/, ''), token };
}
