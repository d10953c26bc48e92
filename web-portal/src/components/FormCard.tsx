import { useId, type FormEvent, type ReactNode } from 'react';
import { Alert } from './Alert';
import { SubmitButton } from './SubmitButton';

/**
 * A form in a card, named by its heading: the alert for errors no field shows, the fields
 * (`layout`: a grid, or one row), then Cancel if `onCancel` and the submit button.
 */
export function FormCard({
  title,
  error,
  onSubmit,
  layout = 'form-grid',
  submit,
  busy,
  busyLabel,
  onCancel,
  children,
}: {
  title: string;
  error: unknown;
  onSubmit: () => Promise<void>;
  layout?: 'form-grid' | 'form-row';
  submit: string;
  busy: boolean;
  busyLabel: string;
  onCancel?: () => void;
  children: ReactNode;
}) {
  const id = useId();
  const send = (e: FormEvent): void => {
    e.preventDefault();
    void onSubmit();
  };
  return (
    <form className="card form" onSubmit={send} noValidate aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <Alert error={error} />
      <div className={layout}>{children}</div>
      <div className="actions">
        {onCancel && (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
        <SubmitButton busy={busy} busyLabel={busyLabel}>
          {submit}
        </SubmitButton>
      </div>
    </form>
  );
}
