// The engine's error classes: api/errors/engine-errors.ts maps their names to HTTP statuses.

/** No such template or VM (404). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** The template or VM is in a state that forbids the request (409). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** A fork failed; nothing of it is left running. */
export class ForkError extends Error {
  override name = 'ForkError';
}
