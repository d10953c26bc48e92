import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { ErrorBody } from '@forkdesk/broker-contract';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import {
  isDatabaseUnavailable,
  isForeignKeyViolation,
  isUniqueViolation,
  RetryLaterException,
} from './errors';

/** Retry-After (seconds) when the database is unreachable: a restart takes about this long. */
const DB_RETRY_AFTER_S = 5;

/**
 * Every error answer as `{statusCode, message, error?}`. Database constraint violations that
 * slipped past a service check become 409; an unreachable database is a 503 with Retry-After;
 * anything unexpected is a logged 500 whose details stay in the log.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    if (res.headersSent) return;
    if (err instanceof RetryLaterException) res.setHeader('Retry-After', String(err.retryAfterS));
    if (err instanceof HttpException) {
      const body = err.getResponse();
      res
        .status(err.getStatus())
        .json(typeof body === 'string' ? { statusCode: err.getStatus(), message: body } : body);
      return;
    }
    if (isUniqueViolation(err) || isForeignKeyViolation(err)) {
      res.status(409).json({
        statusCode: 409,
        message: isUniqueViolation(err) ? 'already exists' : 'still in use',
        error: 'Conflict',
      } satisfies ErrorBody);
      return;
    }
    if (isDatabaseUnavailable(err)) {
      this.log.warn({ err, method: req.method, url: req.originalUrl }, 'database unavailable');
      res.setHeader('Retry-After', String(DB_RETRY_AFTER_S));
      res.status(503).json({
        statusCode: 503,
        message: 'the database is unavailable; try again shortly',
        error: 'Service Unavailable',
      } satisfies ErrorBody);
      return;
    }
    this.log.error({ err, method: req.method, url: req.originalUrl }, 'unhandled error');
    res.status(500).json({
      statusCode: 500,
      message: 'internal error',
      error: 'Internal Server Error',
    } satisfies ErrorBody);
  }
}
