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
