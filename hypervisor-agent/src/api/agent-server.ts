// Starts the agent's HTTP side: the Nest app on its address, the endpoint file for local
// tools, and heartbeats to the broker when enrolled.

import type { INestApplication } from '@nestjs/common';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { AgentCredentials } from '@forkdesk/agent-contract';
import type { Logger } from 'pino';
import type { EnginePort } from '../engine/engine.port';
import type { DisplayControl } from '../gateway/display-control';
import { HeartbeatSender } from '../enrollment/heartbeat';
import { ForkKeys } from '../fork/fork-keys';
import { fencedEngine, LeaseWatchdog } from '../leases/lease-watchdog';
import { readTlsIdentity } from '../enrollment/tls-identity';
import { endpointPath, httpUrl, isWildcard, type AgentEndpoint, type ApiConfig } from '../config';
import { createAgentApp } from './create-app';
import { AGENT_VERSION } from './version';

/** How often lapsed disk leases are looked for (leases last tens of seconds). */
const LEASE_CHECK_MS = 1000;

export interface AgentServerOptions {
  engine: EnginePort;
  displays: DisplayControl;
  config: ApiConfig;
  log: Logger;
  /** From resolveCredentials (enrollment/). */
  credentials: AgentCredentials;
}

export interface AgentServer {
  /** Base URL of the API as bound (loopback form for a wildcard address). */
  url: string;
  credentials: AgentCredentials;
  app: INestApplication;
  /** Stops serving and heartbeats. Never touches the VMs: they outlive the agent. */
  close(): Promise<void>;
}

export async function startAgentServer(opts: AgentServerOptions): Promise<AgentServer> {
  const { config, engine, log, credentials } = opts;
  // Both lists outlive the agent: a restart must neither fence nothing nor fork twice.
  const watchdog = new LeaseWatchdog(
    engine,
    log.child({ component: 'leases' }),
    Date.now,
    join(config.dataDir, 'disk-leases.json'),
  );
  const tls = await readTlsIdentity(config.dataDir);
  const app = await createAgentApp({
    engine: fencedEngine(engine, watchdog),
    forkKeys: new ForkKeys({ file: join(config.dataDir, 'fork-keys.json') }),
    displays: opts.displays,
    tls,
    apiToken: credentials.apiToken,
    identity: { agentId: credentials.agentId, agentVersion: AGENT_VERSION, startedAt: Date.now() },
    log,
  });
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    await app.close();
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const url = httpUrl(isWildcard(config.host) ? '127.0.0.1' : config.host, port, !!tls);
  const endpoint: AgentEndpoint = { url, pid: process.pid };
  await fs.writeFile(endpointPath(config.dataDir), `${JSON.stringify(endpoint)}\n`, {
    mode: 0o644,
  });
  log.info(
    { url, agentId: credentials.agentId, version: AGENT_VERSION, mutualTls: !!tls },
    'agent API listening',
  );

  const heartbeat = config.brokerUrl
    ? new HeartbeatSender(
        engine,
        config.brokerUrl,
        credentials,
        AGENT_VERSION,
        config.heartbeatMs,
        log,
        (reply) => watchdog.renew(reply.leases),
      )
    : undefined;
  heartbeat?.start();
  watchdog.start(LEASE_CHECK_MS);

  return {
    url,
    credentials,
    app,
    async close() {
      await heartbeat?.stop();
      await watchdog.stop();
      await app.close();
      await fs.rm(endpointPath(config.dataDir), { force: true });
    },
  };
}
