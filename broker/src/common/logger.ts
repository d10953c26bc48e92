import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

export const LOGGER = Symbol('Logger');

export function createLogger(level: string): Logger {
  return pino({ name: 'broker', level });
}

type Level = 'info' | 'warn' | 'error' | 'debug' | 'trace';

/** Nest's own messages (startup, route map, errors) into the same structured log. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}

  private write(level: Level, message: unknown, ctx: unknown[]): void {
    const context = ctx.find((c): c is string => typeof c === 'string');
    this.pino[level]({ context }, String(message));
  }

  log(message: unknown, ...ctx: unknown[]): void {
    this.write('debug', message, ctx);
  }
  error(message: unknown, ...ctx: unknown[]): void {
    this.write('error', message, ctx);
  }
  warn(message: unknown, ...ctx: unknown[]): void {
    this.write('warn', message, ctx);
  }
  debug(message: unknown, ...ctx: unknown[]): void {
    this.write('trace', message, ctx);
  }
  verbose(message: unknown, ...ctx: unknown[]): void {
    this.write('trace', message, ctx);
  }
}
