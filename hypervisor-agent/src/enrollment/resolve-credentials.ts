// Which credentials the agent runs with, in order: stored file; enrollment with the broker
// (first start); standalone (no broker: dev/tests) with FORKDESK_AGENT_TOKEN or a generated
// token printed once. FORKDESK_AGENT_TOKEN always overrides the API token in memory.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  createCsr,
  newDisplayKey,
  newKeyPair,
  privateKeyToPem,
  type AgentCredentials,
} from '@forkdesk/agent-contract';
import type { Logger } from 'pino';
import { advertisedApiUrl, credentialsPath, type ApiConfig } from '../config';
import { enroll } from './enrollment-client';
import { readCredentials, writeCredentials } from './credentials-store';
import { writeTlsIdentity } from './tls-identity';

export type CredentialSource = 'stored' | 'enrolled' | 'generated';

export interface ResolvedCredentials {
  credentials: AgentCredentials;
  source: CredentialSource;
}

export interface ResolveOptions {
  config: ApiConfig;
  agentVersion: string;
  gatewayAddress?: string;
  log: Logger;
  /** Where a generated token is printed, once. */
  out?: NodeJS.WritableStream;
}

export async function resolveCredentials(opts: ResolveOptions): Promise<ResolvedCredentials> {
  const { config, log } = opts;
  const path = credentialsPath(config.dataDir);
  const resolved = (await loadStored(path, log)) ?? (await firstStart(opts, path));
  if (config.agentToken && config.agentToken !== resolved.credentials.apiToken) {
    log.info('API token taken from FORKDESK_AGENT_TOKEN instead of the stored one');
    resolved.credentials = { ...resolved.credentials, apiToken: config.agentToken };
  }
  log.info(
    { agentId: resolved.credentials.agentId, source: resolved.source, path },
    'agent credentials ready',
  );
  return resolved;
}

async function loadStored(path: string, log: Logger): Promise<ResolvedCredentials | undefined> {
  const stored = await readCredentials(path);
  if (!stored) return undefined;
  if (stored.tightened) log.warn({ path }, 'credentials file was readable by others; set to 0600');
  return { credentials: stored.credentials, source: 'stored' };
}

async function firstStart(opts: ResolveOptions, path: string): Promise<ResolvedCredentials> {
  const { config } = opts;
  if (config.brokerUrl) {
    if (!config.enrollmentToken) {
      throw new Error(
        `FORKDESK_BROKER_URL is set but ${path} holds no credentials: set FORKDESK_ENROLLMENT_TOKEN to a token minted by the broker`,
      );
    }
    // The TLS key is made here and never leaves the host; the broker signs its CSR.
    const keys = config.tls ? await newKeyPair() : undefined;
    const answer = await enroll(config.brokerUrl, {
      enrollmentToken: config.enrollmentToken,
      hostname: hostname(),
      agentVersion: opts.agentVersion,
      apiUrl: advertisedApiUrl(config, config.tls),
      gatewayAddress: opts.gatewayAddress,
      csr: keys ? await createCsr(keys, hostname()) : undefined,
    });
    const { agentId, apiToken, heartbeatToken, displayKey, certificate, caCertificate } = answer;
    // TLS files first: credentials without them would make the agent serve plain HTTP.
    if (keys && certificate && caCertificate) {
      const privateKey = await privateKeyToPem(keys.privateKey);
      await writeTlsIdentity(config.dataDir, { privateKey, certificate, caCertificate });
    }
    const credentials: AgentCredentials = heartbeatToken
      ? { agentId, apiToken, heartbeatToken, displayKey }
      : { agentId, apiToken, displayKey };
    await writeCredentials(path, credentials);
    return { credentials, source: 'enrolled' };
  }
  const credentials: AgentCredentials = {
    agentId: `standalone-${hostname()}`,
    apiToken: config.agentToken ?? randomBytes(32).toString('base64url'),
    displayKey: newDisplayKey(),
  };
  await writeCredentials(path, credentials);
  if (!config.agentToken) {
    (opts.out ?? process.stderr).write(
      `forkdesk-agent: generated API token (stored in ${path}): ${credentials.apiToken}\n`,
    );
  }
  return { credentials, source: 'generated' };
}
