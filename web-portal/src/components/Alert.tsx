import { describeError } from '../api/errors';

/** An API or input error, read out when it appears. */
export function Alert({
  error,
  id,
  onRetry,
}: {
  error: unknown;
  id?: string;
  onRetry?: () => void;
}) {
  if (error === null || error === undefined) return null;
  return (
    <div className="alert alert-error" role="alert" id={id}>
      <span>{typeof error === 'string' ? error : describeError(error)}</span>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Notice({ children }: { children: React.ReactNode }) {
  return (
    <div className="alert alert-info" role="status">
      {children}
    </div>
  );
}
