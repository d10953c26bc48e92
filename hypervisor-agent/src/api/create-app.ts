// Builds the agent's Nest application: auth, validation, errors, logs, metrics, OpenAPI.

import type { INestApplication } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Server } from 'node:http';
import type { TlsMaterial } from '@forkdesk/agent-contract';
import type { Logger } from 'pino';
import type { EnginePort } from '../engine/engine.port';
import type { DisplayControl } from '../gateway/display-control';
import { AppModule } from '../app.module';
import type { ForkKeys } from '../fork/fork-keys';
import { AgentMetrics } from '../metrics/agent-metrics';
import { bearerAuth } from './auth/bearer-auth';
import { HttpErrorFilter } from './errors/http-error.filter';
import { PinoNestLogger } from './logger';
import { requestObserver } from './request-observer';
import type { AgentIdentity } from './tokens';
import { createValidationPipe } from './validation';

export interface AgentAppOptions {
  engine: EnginePort;
  displays: DisplayControl;
  identity: AgentIdentity;
  apiToken: string;
  log: Logger;
  /** Serve HTTPS and accept only clients with a certificate from `caCertificate`. */
  tls?: TlsMaterial;
  /** Fork idempotency keys (the agent's are kept in its data dir). */
  forkKeys?: ForkKeys;
}

/** Template builds boot a whole VM; allow them longer than Node's 300 s default. */
const REQUEST_TIMEOUT_MS = 15 * 60_000;

export async function createAgentApp(opts: AgentAppOptions): Promise<INestApplication> {
  const metrics = new AgentMetrics();
  const app = await NestFactory.create(
    AppModule.forRoot({
      engine: opts.engine,
      displays: opts.displays,
      identity: opts.identity,
      metrics,
      forkKeys: opts.forkKeys,
    }),
    {
      logger: new PinoNestLogger(opts.log.child({ component: 'nest' })),
      // Mutual TLS: a client without a certificate from the broker's CA fails the handshake.
      httpsOptions: opts.tls && {
        key: opts.tls.privateKey,
        cert: opts.tls.certificate,
        ca: opts.tls.caCertificate,
        requestCert: true,
        rejectUnauthorized: true,
      },
    },
  );
  const log = opts.log.child({ component: 'api' });
  const express = app.getHttpAdapter().getInstance() as { disable(setting: string): void };
  express.disable('x-powered-by');
  app.use(requestObserver(log, metrics));
  app.use(bearerAuth(opts.apiToken, ['/health'], () => metrics.authFailures.inc()));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter(app.get(HttpAdapterHost), log));

  const doc = new DocumentBuilder()
    .setTitle('Forkdesk hypervisor agent')
    .setDescription(
      'Templates, forks and children of one host. Bearer token on every route but /health.',
    )
    .setVersion(opts.identity.agentVersion)
    .addBearerAuth()
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, doc), {
    jsonDocumentUrl: 'api/docs-json',
  });

  (app.getHttpServer() as Server).requestTimeout = REQUEST_TIMEOUT_MS;
  return app;
}
