// How engine failures become HTTP answers. The engine throws plain Errors that carry a
// `code` (or a distinctive class name); this table is the one place that maps them.

export interface HttpFailure {
  status: number;
  message: string;
  /** Seconds for a Retry-After header (503 on the memory reserve). */
  retryAfterS?: number;
}

const DEFAULT_RETRY_AFTER_S = 30;

/**
 * err.code values and err.name class names, by HTTP status. Class names are the engine's
 * (engine/errors.ts, memory/proc.ts, templates/template.ts, qmp/client.ts); codes let any module opt in.
 */
const STATUS_BY_KIND: ReadonlyArray<[number, readonly string[]]> = [
  // The engine checks its own arguments with RangeError (counts, shapes, commands, paths).
  [400, ['INVALID_ARGUMENT', 'RangeError']],
  [404, ['NOT_FOUND', 'NotFoundError']],
  // A frozen template file changed or went missing: forking it would corrupt children.
  [409, ['CONFLICT', 'TEMPLATE_CHANGED', 'TemplateInvalidError', 'ConflictError']],
  [422, ['UNPROCESSABLE']],
  [503, ['MEMORY_RESERVE', 'InsufficientMemoryError']],
  [504, ['TIMEOUT', 'QmpTimeoutError']],
];

function field(err: object, key: string): unknown {
  return (err as Record<string, unknown>)[key];
}

/** Maps anything thrown by the engine to a status and the engine's own message. */
export function engineErrorToHttp(err: unknown): HttpFailure {
  if (!(err instanceof Error)) return { status: 500, message: String(err) };
  const code = field(err, 'code');
  const kinds = [typeof code === 'string' ? code : undefined, err.name];
  let status = 500;
  for (const [s, names] of STATUS_BY_KIND) {
    if (kinds.some((k) => k !== undefined && names.includes(k))) status = s;
  }
  // An engine error may state its status outright.
  const explicit = field(err, 'httpStatus') ?? field(err, 'statusCode');
  if (
    typeof explicit === 'number' &&
    Number.isInteger(explicit) &&
    explicit >= 400 &&
    explicit < 600
  ) {
    status = explicit;
  }
  const failure: HttpFailure = { status, message: err.message || err.name };
  if (status === 503) {
    const retry = field(err, 'retryAfterS');
    failure.retryAfterS =
      typeof retry === 'number' && retry > 0 ? Math.ceil(retry) : DEFAULT_RETRY_AFTER_S;
  }
  return failure;
}
