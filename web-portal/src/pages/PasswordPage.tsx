import { useState, type FormEvent } from 'react';
import { auth } from '../api/client';
import { fieldErrors, sentence } from '../api/errors';
import { ApiError } from '../api/http';
import { Alert, Notice } from '../components/Alert';
import { Field } from '../components/Field';
import { Spinner } from '../components/Spinner';

/** The broker's minimum (class-validator MinLength on passwords). */
export const MIN_PASSWORD = 8;

/** Checks done before asking the broker (which checks again). */
export function passwordProblems(
  current: string,
  next: string,
  repeat: string,
): Record<string, string> {
  const p: Record<string, string> = {};
  if (!current) p.currentPassword = 'Enter your current password.';
  if (next.length < MIN_PASSWORD) p.newPassword = `Use at least ${MIN_PASSWORD} characters.`;
  else if (next === current) p.newPassword = 'Choose a password different from the current one.';
  if (repeat !== next) p.repeat = 'The two new passwords differ.';
  return p;
}

export function PasswordPage() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const p = passwordProblems(current, next, repeat);
    setProblems(p);
    setDone(false);
    if (Object.keys(p).length) return;
    setBusy(true);
    setError(null);
    try {
      await auth.changePassword(current, next);
      setDone(true);
      setCurrent('');
      setNext('');
      setRepeat('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const fe = fieldErrors(error, ['currentPassword', 'newPassword']);
  // The broker answers 401/403 for a wrong current password: show it on that field.
  const wrongCurrent =
    error instanceof ApiError && (error.status === 401 || error.status === 403)
      ? sentence(error.message) || 'The current password is wrong.'
      : undefined;
  const formError = !wrongCurrent && error && !Object.keys(fe.byField).length ? error : null;
  return (
    <section>
      <h1>Change password</h1>
      <form className="card form" onSubmit={(e) => void submit(e)} noValidate>
        {done && <Notice>Your password was changed.</Notice>}
        <Alert error={formError} />
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={problems.currentPassword ?? wrongCurrent ?? fe.byField.currentPassword}
        />
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          hint={`At least ${MIN_PASSWORD} characters.`}
          value={next}
          onChange={(e) => setNext(e.target.value)}
          error={problems.newPassword ?? fe.byField.newPassword}
        />
        <Field
          label="New password again"
          type="password"
          autoComplete="new-password"
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          error={problems.repeat}
        />
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? <Spinner inline label="Saving…" /> : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}
