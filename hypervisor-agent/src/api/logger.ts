// Nest's own messages go through the agent's pino logger (no console output).

import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/** Nest's start-up chatter (one line per module and route) is debug, not info. */
const CHATTY_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Adapts Nest's LoggerService calls (message, ...optionalParams, context last) to pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pinoLog: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    const chatty = typeof context === 'string' && CHATTY_CONTEXTS.has(context);
    this.write(chatty ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? rest.pop() : undefined;
    const stack = rest.find((r): r is string => typeof r === 'string');
    const fields = { context, ...(stack ? { stack } : {}) };
    if (message instanceof Error) this.pinoLog[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'string') this.pinoLog[level](fields, message);
    else this.pinoLog[level]({ ...fields, detail: message }, 'nest');
  }
}
