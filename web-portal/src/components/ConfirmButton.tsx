import { useState } from 'react';
import { Spinner } from './Spinner';

/** A destructive action that asks once, inline (no blocking window.confirm). */
export function ConfirmButton({
  label,
  confirm,
  onConfirm,
  danger = true,
}: {
  label: string;
  confirm: string;
  onConfirm: () => Promise<void>;
  danger?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (busy) return <Spinner inline label="Working…" />;
  if (!asking)
    return (
      <button
        type="button"
        className={`btn btn-small${danger ? ' btn-danger-ghost' : ''}`}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={confirm}>
      <span>{confirm}</span>
      <button
        type="button"
        className={`btn btn-small${danger ? ' btn-danger' : ' btn-primary'}`}
        onClick={() => {
          setBusy(true);
          onConfirm().finally(() => {
            setBusy(false);
            setAsking(false);
          });
        }}
      >
        Yes
      </button>
      <button type="button" className="btn btn-small" onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  );
}
