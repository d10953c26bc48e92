// guacamole-lite ships no types; this is the part of its API the broker uses.
declare module 'guacamole-lite' {
  import type { EventEmitter } from 'events';
  import type { IncomingMessage, Server as HttpServer } from 'http';

  interface ClientConnection {
    connectionId: number;
    connectionSettings?: { connection?: Record<string, unknown> };
  }

  class GuacamoleLite extends EventEmitter {
    constructor(
      wsOptions: {
        server: HttpServer;
        path: string;
        /** Passed on to ws's WebSocketServer: false refuses the upgrade with 401. */
        verifyClient?: (info: { req: IncomingMessage }) => boolean;
      },
      guacdOptions: { host: string; port: number },
      clientOptions: {
        crypt: { cypher: string; key: Buffer };
        maxInactivityTime?: number;
        log?: {
          level: string;
          stdLog: (...a: unknown[]) => void;
          errorLog: (...a: unknown[]) => void;
        };
      },
    );
    on(event: 'open' | 'close', listener: (c: ClientConnection) => void): this;
    on(event: 'error', listener: (c: ClientConnection, err: Error) => void): this;
    close(): void;
  }
  export = GuacamoleLite;
}
