import { GuacStatus, type GuacStatusCode } from '@forkdesk/broker-contract';

/** Guacamole protocol status codes: the broker's contract declares them for the portal too. */
export { GuacStatus, type GuacStatusCode };

/** An error that ends a connection with a Guacamole `error` instruction carrying `status`. */
export class GuacError extends Error {
  constructor(
    message: string,
    readonly status: GuacStatusCode,
  ) {
    super(message);
    this.name = 'GuacError';
  }
}
