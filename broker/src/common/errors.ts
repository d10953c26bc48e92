import { ConflictException, HttpException, HttpStatus } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';

/** 503 or 429 that tells the client when to try again (Retry-After, seconds). */
export class RetryLaterException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterS: number,
    status: HttpStatus.SERVICE_UNAVAILABLE | HttpStatus.TOO_MANY_REQUESTS = 503,
  ) {
    super(
      {
        statusCode: status,
        message,
        error: status === 503 ? 'Service Unavailable' : 'Too Many Requests',
      },
      status,
    );
  }
}

const pgCode = (err: unknown): string | undefined =>
  err instanceof QueryFailedError
    ? (err.driverError as { code?: string } | undefined)?.code
    : undefined;

export const isUniqueViolation = (err: unknown): boolean => pgCode(err) === '23505';

/** Socket errors of a connection to PostgreSQL that went away or never came. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
/** pg's own words for a connection that closed under it or could not be had in time. */
const CONNECTION_LOST = /^Connection terminated|timeout exceeded when trying to connect/;

/**
 * The database cannot be reached (down, restarting, network cut): a 503, not a 500. PostgreSQL
 * says so with SQLSTATE class 08 or 57P01-57P03; pg with a socket error or its own message,
 * raw from a pool connect or wrapped in a QueryFailedError when a query's connection died.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const cause = err instanceof QueryFailedError ? (err.driverError as unknown) : err;
  if (!(cause instanceof Error)) return false;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (CONNECTION_LOST.test(cause.message)) return true;
  return typeof code === 'string' && (code.startsWith('08') || /^57P0[123]$/.test(code));
}
export const isForeignKeyViolation = (err: unknown): boolean => pgCode(err) === '23503';

/** Runs `fn`; a unique violation becomes a 409 with `message`. */
export async function conflictOnDuplicate<T>(message: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictException(message);
    throw err;
  }
}
