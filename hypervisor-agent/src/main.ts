// The agent process: fork engine + HTTP API (+ display gateway). On SIGTERM/SIGINT it stops
// serving and exits; the VMs keep running (own sessions) and the next agent re-adopts them.

import type { Logger } from 'pino';
import { register } from 'prom-client';
import { startAgentServer, type AgentServer } from './api/agent-server';
import { AGENT_VERSION } from './api/version';
import { loadApiConfig, loadConfig } from './config';
import { resolveCredentials } from './enrollment/resolve-credentials';
import { engineDisplayResolver } from './engine/display-resolver';
import { ForkEngine } from './fork/fork-engine';
import { DisplayGateway } from './gateway/server';
import { logger } from './logger';

/** A stuck close (a hung request, a wedged QMP socket) must not keep the agent alive. */
const SHUTDOWN_DEADLINE_MS = 10_000;

export interface RunningAgent {
  engine: ForkEngine;
  server: AgentServer;
  gateway: DisplayGateway;
  /** Where the display gateway listens, as host:port. */
  gatewayAddress: string;
  /** Stops the API and the engine's background work; children keep running. */
  shutdown(): Promise<void>;
}

export async function startAgent(env: NodeJS.ProcessEnv, log: Logger): Promise<RunningAgent> {
  const apiConfig = loadApiConfig(env);
  const engine = await ForkEngine.open(loadConfig(env));
  let gateway: DisplayGateway | undefined;
  try {
    const { credentials } = await resolveCredentials({
      config: apiConfig,
      agentVersion: AGENT_VERSION,
      log,
      gatewayAddress: `${apiConfig.gatewayHost}:${apiConfig.gatewayPort}`,
    });
    gateway = new DisplayGateway({
      resolver: engineDisplayResolver(engine),
      inputBoostMs: apiConfig.gatewayInputBoostMs,
      ticketSecret: credentials.displayKey,
      logger: log,
      registry: register,
    });
    const gatewayPort = await gateway.listen(apiConfig.gatewayPort, apiConfig.gatewayHost);
    const gatewayAddress = `${apiConfig.gatewayHost}:${gatewayPort}`;
    const server = await startAgentServer({
      engine,
      displays: gateway,
      config: apiConfig,
      log,
      credentials,
    });
    const running = gateway;
    return {
      engine,
      server,
      gateway: running,
      gatewayAddress,
      async shutdown() {
        await running.close();
        await server.close();
        await engine.close();
      },
    };
  } catch (err) {
    await gateway?.close();
    await engine.close();
    throw err;
  }
}

function exitOnSignals(agent: RunningAgent, log: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down; VMs keep running');
    setTimeout(() => {
      log.error('shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    agent.shutdown().then(
      () => {
        log.info('agent stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (require.main === module) {
  startAgent(process.env, logger).then(
    (agent) => exitOnSignals(agent, logger),
    (err: unknown) => {
      logger.fatal({ err }, `agent failed to start: ${(err as Error).message}`);
      process.exitCode = 1;
    },
  );
}
