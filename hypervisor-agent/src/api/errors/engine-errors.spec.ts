// The engine's own error classes: the table maps them by name, so a rename shows up here.
import { ConflictError, NotFoundError } from '../../engine/errors';
import { InsufficientMemoryError } from '../../memory/proc';
import { QmpTimeoutError } from '../../qmp/client';
import { TemplateInvalidError } from '../../templates/template';
import { engineErrorToHttp } from './engine-errors';

describe('engineErrorToHttp', () => {
  it('maps the engine error classes by name, keeping their messages', () => {
    expect(engineErrorToHttp(new InsufficientMemoryError('not enough memory'))).toEqual({
      status: 503,
      message: 'not enough memory',
      retryAfterS: 30,
    });
    expect(engineErrorToHttp(new TemplateInvalidError('device state sha256 mismatch'))).toEqual({
      status: 409,
      message: 'device state sha256 mismatch',
    });
    expect(engineErrorToHttp(new NotFoundError('no VM c-1')).status).toBe(404);
    expect(engineErrorToHttp(new ConflictError('template t-1 is still building')).status).toBe(409);
    expect(engineErrorToHttp(new QmpTimeoutError('query-status', 5000))).toEqual({
      status: 504,
      message: 'query-status: no answer within 5000 ms',
    });
  });

  it('maps codes, honours an explicit status and a Retry-After hint', () => {
    const coded = Object.assign(new Error('gone'), { code: 'NOT_FOUND' });
    expect(engineErrorToHttp(coded).status).toBe(404);
    const explicit = Object.assign(new Error('too big'), { httpStatus: 413 });
    expect(engineErrorToHttp(explicit).status).toBe(413);
    const bogus = Object.assign(new Error('x'), { httpStatus: 200 });
    expect(engineErrorToHttp(bogus).status).toBe(500);
    const retry = Object.assign(new Error('full'), { code: 'MEMORY_RESERVE', retryAfterS: 4.2 });
    expect(engineErrorToHttp(retry).retryAfterS).toBe(5);
  });

  it('is a 500 with the message for anything else, including non-errors', () => {
    expect(engineErrorToHttp(new TypeError('boom'))).toEqual({ status: 500, message: 'boom' });
    expect(engineErrorToHttp(new RangeError('count must be 1..64')).status).toBe(400);
    expect(engineErrorToHttp('plain string')).toEqual({ status: 500, message: 'plain string' });
    // Node errno codes must not be mistaken for ours.
    const errno = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    expect(engineErrorToHttp(errno).status).toBe(500);
  });
});
