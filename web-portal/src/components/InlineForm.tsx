import { useState, type FormEvent, type ReactNode } from 'react';
import { fieldErrors } from '../api/errors';
import { Alert } from './Alert';
import { Field, SelectField } from './Field';
import { SubmitButton } from './SubmitButton';
import { useSubmit } from './useSubmit';

/** What the form hands its one field. */
interface FieldProps {
  label: string;
  value: string;
  onChange: (e: { target: { value: string } }) => void;
  error?: string;
}

interface InlineProps {
  label: string;
  /** The message when the field is left empty, shown on the field. */
  required: string;
  submit: string;
  busyLabel?: string;
  add: (value: string) => Promise<unknown>;
  onAdded: () => void;
}

/**
 * One field and its button on a line, adding what it holds (trimmed): the empty-field message
 * and the broker's message about `brokerField` show on the field, any other error below.
 */
function InlineForm({
  label,
  required,
  submit,
  busyLabel,
  add,
  onAdded,
  brokerField,
  primary = false,
  className = 'inline-form',
  control,
}: InlineProps & {
  brokerField?: string;
  primary?: boolean;
  className?: string;
  control: (field: FieldProps) => ReactNode;
}) {
  const [value, setValue] = useState('');
  const s = useSubmit();
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const v = value.trim();
    if (!v) {
      s.setError(required);
      return;
    }
    if (await s.run(() => add(v))) {
      setValue('');
      onAdded();
    }
  };
  const error =
    typeof s.error === 'string'
      ? s.error
      : brokerField
        ? fieldErrors(s.error, [brokerField]).byField[brokerField]
        : undefined;
  return (
    <>
      <form className={className} onSubmit={(e) => void onSubmit(e)} noValidate>
        {control({ label, value, onChange: (e) => setValue(e.target.value), error })}
        <SubmitButton primary={primary} busy={s.busy} busyLabel={busyLabel}>
          {submit}
        </SubmitButton>
      </form>
      {s.error && typeof s.error !== 'string' && !error ? <Alert error={s.error} /> : null}
    </>
  );
}

/** Picks one of `options` and adds it (an entitlement, a member). */
export function AddForm({
  options,
  ...rest
}: InlineProps & { options: { value: string; label: string }[] }) {
  const choices = [{ value: '', label: 'Choose…' }, ...options];
  return <InlineForm {...rest} control={(f) => <SelectField {...f} options={choices} />} />;
}

/** Adds what is typed (a group, an image version from its manifest). */
export function TextForm({
  placeholder,
  ...rest
}: InlineProps & {
  placeholder?: string;
  brokerField: string;
  primary?: boolean;
  className?: string;
}) {
  return <InlineForm {...rest} control={(f) => <Field {...f} placeholder={placeholder} />} />;
}
