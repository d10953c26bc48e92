import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, isUniqueViolation } from './errors';

/** A pg error as the driver raises it: an Error with a SQLSTATE or socket code. */
const pgError = (message: string, code?: string): Error =>
  Object.assign(new Error(message), code ? { code } : {});
const failedQuery = (driverError: Error): QueryFailedError =>
  new QueryFailedError('SELECT 1', [], driverError);

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused pool connect', pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset pool connect', pgError('connect ECONNRESET 127.0.0.1:5432', 'ECONNRESET')],
    ['a connection pg saw close', pgError('Connection terminated unexpectedly')],
    ['a pool connect timeout', pgError('timeout exceeded when trying to connect')],
    ['a query whose connection was reset', failedQuery(pgError('read ECONNRESET', 'ECONNRESET'))],
    ['a query whose connection ended', failedQuery(pgError('Connection terminated unexpectedly'))],
    ['a server shutting down (57P01)', failedQuery(pgError('terminating connection', '57P01'))],
    [
      'a server starting up (57P03)',
      failedQuery(pgError('the database system is starting', '57P03')),
    ],
    ['a broken pipe', failedQuery(pgError('write EPIPE', 'EPIPE'))],
    ['a connection exception (08006)', failedQuery(pgError('connection failure', '08006'))],
  ])('is true for %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', failedQuery(pgError('duplicate key', '23505'))],
    ['a syntax error', failedQuery(pgError('syntax error', '42601'))],
    ['a plain bug', new TypeError('x is undefined')],
    ['a non-error', 'ECONNRESET'],
  ])('is false for %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('leaves the constraint checks as they were', () => {
    expect(isUniqueViolation(failedQuery(pgError('duplicate key', '23505')))).toBe(true);
  });
});
