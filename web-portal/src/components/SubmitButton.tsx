import type { ReactNode } from 'react';
import { Spinner } from './Spinner';

/** A form's submit button: disabled while busy, showing `busyLabel` with a spinner if given. */
export function SubmitButton({
  busy = false,
  busyLabel,
  primary = true,
  children,
}: {
  busy?: boolean;
  busyLabel?: string;
  primary?: boolean;
  children: ReactNode;
}) {
  return (
    <button type="submit" className={primary ? 'btn btn-primary' : 'btn'} disabled={busy}>
      {busy && busyLabel ? <Spinner inline label={busyLabel} /> : children}
    </button>
  );
}
