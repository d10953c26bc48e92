import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, Response } from 'express';
import { existsSync, readFileSync } from 'fs';
import type { Server } from 'http';
import { join } from 'path';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { csrfMiddleware, jsonBodiesOnly } from './auth/csrf.middleware';
import { HttpErrorFilter } from './common/http-error.filter';
import { securityHeaders } from './common/security-headers';
import { databaseDeadline, DatabaseWatch } from './health/database-watch';
import { PinoNestLogger } from './common/logger';
import { createValidationPipe } from './common/validation';
import type { BrokerConfig } from './config';
import { BrokerMetrics } from './common/metrics';
import { TunnelGateway } from './tunnel/tunnel.gateway';

/** Paths the portal's client-side router never owns. */
const SERVER_PATHS = /^\/(api|v1|health|metrics|tunnel)(\/|$)/;

/** Request latency per matched route (not per URL: ids would explode the label set). */
function observe(metrics: BrokerMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const t0 = performance.now();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      if (!route) return;
      metrics.httpDuration.observe(
        { method: req.method, route, status: String(res.statusCode) },
        (performance.now() - t0) / 1000,
      );
    });
    next();
  };
}

/** Options every broker app is created with: no body parsers of Nest's (JSON only, below). */
export const BROKER_APP_OPTIONS = { bodyParser: false } as const;

/** Middleware, validation, errors, OpenAPI, the portal and the tunnel, on a created app. */
export async function configureApp(
  app: INestApplication,
  config: BrokerConfig,
  log: Logger,
): Promise<void> {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  // Behind a reverse proxy, FORKDESK_TRUST_PROXY makes req.ip the client's address.
  if (process.env.FORKDESK_TRUST_PROXY)
    express.set('trust proxy', process.env.FORKDESK_TRUST_PROXY);
  app.use(securityHeaders());
  app.use(cookieParser());
  // Only JSON is parsed (Nest's urlencoded parser is off, see createBrokerApp).
  app.use(jsonBodiesOnly());
  express.useBodyParser('json');
  app.use(observe(app.get(BrokerMetrics)));
  app.use(databaseDeadline(app.get(DatabaseWatch), SERVER_PATHS));
  app.use(csrfMiddleware(config.auth.secureCookies));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter(log.child({ component: 'http' })));

  const doc = new DocumentBuilder()
    .setTitle('Forkdesk broker')
    .setDescription(
      'Users, images, pools, desktops, agents. Session cookie + x-csrf-token on writes.',
    )
    .setVersion('0.1.0')
    .addCookieAuth('forkdesk_session')
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, doc), {
    jsonDocumentUrl: 'api/docs-json',
  });

  if (existsSync(join(config.portalDir, 'index.html'))) {
    express.useStaticAssets(config.portalDir, { index: false });
    const index = join(config.portalDir, 'index.html');
    // The portal routes on the client: any other GET gets its page.
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'GET' || SERVER_PATHS.test(req.path)) return next();
      res.sendFile(index);
    });
    log.info({ dir: config.portalDir }, 'serving the portal');
  }

  await app.init();
  app.get(TunnelGateway).mount(app.getHttpServer() as Server);
}

/** The certificate and key of an HTTPS portal; the tunnel's websocket then runs on WSS. */
export function httpsOptions(config: BrokerConfig): NestApplicationOptions['httpsOptions'] {
  if (!config.tls) return undefined;
  const read = (name: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${name} ${path} cannot be read: ${(err as Error).message}`);
    }
  };
  return {
    cert: read('FORKDESK_TLS_CERT', config.tls.certFile),
    key: read('FORKDESK_TLS_KEY', config.tls.keyFile),
  };
}

export async function createBrokerApp(
  config: BrokerConfig,
  log: Logger,
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, log), {
    logger: new PinoNestLogger(log.child({ component: 'nest' })),
    httpsOptions: httpsOptions(config),
    ...BROKER_APP_OPTIONS,
  });
  app.enableShutdownHooks();
  await configureApp(app, config, log);
  return app;
}
