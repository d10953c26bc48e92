import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { DedicatedConnection } from '../common/dedicated-connection';
import { LOGGER } from '../common/logger';
import { BROKER_CONFIG, type BrokerConfig } from '../config';

/** How often the database is asked `SELECT 1` (one at a time), and how long an answer may take. */
const PROBE_EVERY_MS = 500;
const PROBE_TIMEOUT_MS = 2_000;
/** A request still unanswered this long while the database is away gets a 503. */
export const REQUEST_DEADLINE_MS = 3_500;
const RETRY_AFTER_S = 5;

/**
 * Whether PostgreSQL answers right now. A database that refuses connections fails fast on its
 * own; one whose packets are dropped makes every call hang (TCP retransmits for many minutes),
 * so the broker asks it twice a second and counts a probe unanswered after 2 s as "away".
 * The probe has a connection of its own: a pool busy with a storm of requests is not a
 * database that is away.
 */
@Injectable()
export class DatabaseWatch implements OnApplicationBootstrap, OnApplicationShutdown {
  private away = false;
  private probeStartedAt?: number;
  private timer?: NodeJS.Timeout;
  private readonly conn: DedicatedConnection;

  constructor(
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.conn = new DedicatedConnection(
      config.databaseUrl,
      'forkdesk-broker-watch',
      log.child({ component: 'database-watch' }),
      PROBE_TIMEOUT_MS,
    );
  }

  get available(): boolean {
    return !this.away;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), PROBE_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.conn.drop();
  }

  private tick(): void {
    if (this.probeStartedAt !== undefined) {
      if (Date.now() - this.probeStartedAt > PROBE_TIMEOUT_MS) this.mark(true, 'does not answer');
      return; // one probe at a time, bounded by the connection's timeouts
    }
    this.probeStartedAt = Date.now();
    this.conn
      .ping()
      .then(
        () => this.mark(false, 'answers again'),
        (err: unknown) => {
          this.mark(true, err instanceof Error ? err.message : String(err));
          void this.conn.drop(); // a timed-out connection is in no known state
        },
      )
      .finally(() => {
        this.probeStartedAt = undefined;
      });
  }

  private mark(away: boolean, why: string): void {
    if (away === this.away) return;
    this.away = away;
    if (away) this.log.error({ reason: why }, 'the database is away: API calls answer 503');
    else this.log.info('the database answers again');
  }
}

const unavailable = (res: Response): void => {
  res.setHeader('Retry-After', String(RETRY_AFTER_S));
  res.status(503).json({
    statusCode: 503,
    message: 'the database is not answering right now',
    error: 'Service Unavailable',
  });
};

/**
 * Before guards (they read sessions from the database): while it is away every server path
 * answers 503 at once, and a call that hangs on it gets its 503 at the deadline; its handler
 * may finish once the database is back, and that late reply goes nowhere.
 */
export function databaseDeadline(watch: DatabaseWatch, paths: RegExp) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!paths.test(req.path)) return next();
    if (!watch.available) return unavailable(res);
    let timer: NodeJS.Timeout | undefined;
    const check = (): void => {
      if (res.headersSent) return;
      if (watch.available) {
        timer = setTimeout(check, 250);
        return;
      }
      unavailable(res);
      const ignore = (): Response => res;
      Object.assign(res, {
        status: ignore,
        json: ignore,
        send: ignore,
        setHeader: ignore,
        end: ignore,
      });
    };
    timer = setTimeout(check, REQUEST_DEADLINE_MS);
    res.on('close', () => clearTimeout(timer));
    next();
  };
}
