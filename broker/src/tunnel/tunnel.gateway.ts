import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import GuacamoleLite from 'guacamole-lite';
import type { IncomingMessage, Server } from 'http';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger';
import { TunnelKey } from './tunnel-key';
import { isTunnelTokenValid } from './tunnel-token';
import { SESSION_SETTING, TUNNEL_PATH, TunnelService } from './tunnel.service';

/** guacamole-lite's WebSocket endpoint, on the broker's own HTTP server at /tunnel. */
@Injectable()
export class TunnelGateway implements OnApplicationShutdown {
  private server?: GuacamoleLite;

  constructor(
    private readonly key: TunnelKey,
    private readonly tunnels: TunnelService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  mount(http: Server): void {
    const log = this.log.child({ component: 'tunnel' });
    const key = this.key.get();
    const lite = new GuacamoleLite(
      {
        server: http,
        path: TUNNEL_PATH,
        // A bad token gets 401 at the upgrade instead of reaching guacamole-lite.
        verifyClient: (info: { req: IncomingMessage }) => isTunnelTokenValid(info.req.url, key),
      },
      // Every token names its agent's gateway; this default is never dialled on purpose.
      { host: '127.0.0.1', port: 4822 },
      {
        crypt: { cypher: 'AES-256-CBC', key },
        log: {
          level: 'ERRORS',
          stdLog: (...a: unknown[]) => log.debug(a.map(String).join(' ')),
          errorLog: (...a: unknown[]) => log.warn(a.map(String).join(' ')),
        },
      },
    );
    lite.on('open', (c) => {
      const session = c.connectionSettings?.connection?.[SESSION_SETTING];
      log.info({ connection: c.connectionId, session }, 'tunnel open');
      if (typeof session === 'string') {
        this.tunnels
          .opened(session)
          .catch((err: unknown) => log.warn({ err }, 'could not mark the session connected'));
      }
    });
    lite.on('close', (c) => {
      const session = c.connectionSettings?.connection?.[SESSION_SETTING];
      log.info({ connection: c.connectionId, session }, 'tunnel closed');
      if (typeof session === 'string') {
        this.tunnels
          .closed(session)
          .catch((err: unknown) => log.warn({ err }, 'could not end session'));
      }
    });
    lite.on('error', (c, err) => log.warn({ connection: c?.connectionId, err }, 'tunnel error'));
    this.server = lite;
  }

  onApplicationShutdown(): void {
    this.server?.close();
  }
}
