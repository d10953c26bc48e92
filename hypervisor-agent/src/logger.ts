import pino from 'pino';

/** The agent's structured logger (JSON on stderr, so stdout stays free for CLI output). */
export const logger = pino(
  { name: 'hypervisor-agent', level: process.env.FORKDESK_LOG_LEVEL || 'info' },
  pino.destination(2),
);
