// Every failure leaves the API as JSON { statusCode, message [, errors] }.

import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ApiError, FieldError } from '@forkdesk/agent-contract';
import type { Logger } from 'pino';
import { engineErrorToHttp, HttpFailure } from './engine-errors';

type ErrorBody = ApiError & { errors?: FieldError[] };

function fromHttpException(e: HttpException): HttpFailure & { errors?: FieldError[] } {
  const status = e.getStatus();
  const res = e.getResponse();
  if (typeof res === 'string') return { status, message: res };
  const o = res as { message?: unknown; errors?: FieldError[] };
  const message = Array.isArray(o.message)
    ? o.message.join('; ')
    : typeof o.message === 'string'
      ? o.message
      : e.message;
  return { status, message, errors: o.errors };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly log: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<{ method?: string; url?: string }>();
    const res = http.getResponse<object>();
    const failure: HttpFailure & { errors?: FieldError[] } =
      exception instanceof HttpException
        ? fromHttpException(exception)
        : engineErrorToHttp(exception);
    const body: ErrorBody = { statusCode: failure.status, message: failure.message };
    if (failure.errors) body.errors = failure.errors;

    const fields = { method: req.method, url: req.url, status: failure.status };
    if (failure.status >= 500) this.log.error({ ...fields, err: exception }, failure.message);
    else this.log.info(fields, failure.message);

    const adapter = this.adapterHost.httpAdapter;
    if (failure.retryAfterS !== undefined) {
      adapter.setHeader(res, 'Retry-After', String(failure.retryAfterS));
    }
    adapter.reply(res, body, failure.status);
  }
}
