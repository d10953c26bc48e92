import { useState, type FormEvent } from 'react';
import { fieldErrors } from '../api/errors';
import { useAuth } from '../auth';
import { Alert, Notice } from '../components/Alert';
import { Field } from '../components/Field';
import { Logo } from '../components/Layout';
import { Spinner } from '../components/Spinner';

export function LoginPage() {
  const { signIn, expired } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState<Record<string, string>>({});

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const m: Record<string, string> = {};
    if (!username.trim()) m.username = 'Enter your username.';
    if (!password) m.password = 'Enter your password.';
    setMissing(m);
    if (Object.keys(m).length) return;
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const fe = fieldErrors(error, ['username', 'password']).byField;
  return (
    <div className="login">
      <form
        className="card login-card"
        onSubmit={(e) => void submit(e)}
        noValidate
        aria-labelledby="login-title"
      >
        <div className="login-brand">
          <Logo />
        </div>
        <h1 id="login-title">Sign in</h1>
        <p className="muted">Your Linux desktop, in this browser tab, in about a second.</p>
        {expired && <Notice>Your session ended. Please sign in again.</Notice>}
        <Alert error={error && !Object.keys(fe).length ? error : null} id="login-error" />
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          error={missing.username ?? fe.username}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={missing.password ?? fe.password}
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? <Spinner inline label="Signing in…" /> : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
