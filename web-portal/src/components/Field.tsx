import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';

interface Common {
  label: string;
  error?: string;
  hint?: string;
}

/** ids for a field's hint and error, joined for aria-describedby. */
function useDescribed(error?: string, hint?: string) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return { id, hintId, errorId, describedBy };
}

function Wrap({
  id,
  label,
  hint,
  hintId,
  error,
  errorId,
  children,
}: Common & { id: string; hintId?: string; errorId?: string; children: ReactNode }) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

export function Field({
  label,
  error,
  hint,
  ...input
}: Common & InputHTMLAttributes<HTMLInputElement>) {
  const d = useDescribed(error, hint);
  return (
    <Wrap id={d.id} label={label} hint={hint} hintId={d.hintId} error={error} errorId={d.errorId}>
      <input
        id={d.id}
        aria-invalid={error ? true : undefined}
        aria-describedby={d.describedBy}
        {...input}
      />
    </Wrap>
  );
}

export function SelectField({
  label,
  error,
  hint,
  options,
  ...select
}: Common &
  SelectHTMLAttributes<HTMLSelectElement> & { options: { value: string; label: string }[] }) {
  const d = useDescribed(error, hint);
  return (
    <Wrap id={d.id} label={label} hint={hint} hintId={d.hintId} error={error} errorId={d.errorId}>
      <select
        id={d.id}
        aria-invalid={error ? true : undefined}
        aria-describedby={d.describedBy}
        {...select}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Wrap>
  );
}
