import type { ReactNode } from 'react';
import { Alert } from './Alert';
import { Spinner } from './Spinner';
import type { Loaded as LoadedState } from './useLoad';

/** Spinner until the first answer, the error with a retry button, else the content. */
export function Loaded<T>({
  state,
  label,
  children,
}: {
  state: LoadedState<T>;
  label?: string;
  children: (data: T) => ReactNode;
}) {
  if (state.data === undefined) {
    if (state.error) return <Alert error={state.error} onRetry={state.reload} />;
    return <Spinner label={label} />;
  }
  return (
    <>
      {state.error ? <Alert error={state.error} onRetry={state.reload} /> : null}
      {children(state.data)}
    </>
  );
}
