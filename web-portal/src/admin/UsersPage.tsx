import { useState, type FormEvent } from 'react';
import type { GroupView, UserRole, UserView } from '@forkdesk/broker-contract';
import { admin } from '../api/client';
import { fieldErrors } from '../api/errors';
import { Alert } from '../components/Alert';
import { Badge } from '../components/Badge';
import { ConfirmButton } from '../components/ConfirmButton';
import { Field, SelectField } from '../components/Field';
import { Loaded } from '../components/Loaded';
import { Spinner } from '../components/Spinner';
import { useLoad } from '../components/useLoad';
import { useSubmit } from '../components/useSubmit';
import { MIN_PASSWORD } from '../pages/PasswordPage';

const ROLES = [
  { value: 'user', label: 'Employee' },
  { value: 'admin', label: 'Administrator' },
];

function NewUser({ onDone }: { onDone: () => void }) {
  const [v, setV] = useState({ username: '', displayName: '', password: '', role: 'user' });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const s = useSubmit();
  const fe = fieldErrors(s.error, ['username', 'displayName', 'password', 'role']);
  const set = (k: keyof typeof v) => (e: { target: { value: string } }) =>
    setV({ ...v, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const p: Record<string, string> = {};
    if (!/^[a-z0-9._-]{2,64}$/i.test(v.username))
      p.username = 'Use 2–64 letters, digits, dots, dashes or underscores.';
    if (v.password.length < MIN_PASSWORD) p.password = `Use at least ${MIN_PASSWORD} characters.`;
    setProblems(p);
    if (Object.keys(p).length) return;
    const ok = await s.run(() =>
      admin.createUser({
        username: v.username,
        displayName: v.displayName.trim() || v.username,
        password: v.password,
        role: v.role as UserRole,
      }),
    );
    if (ok) {
      setV({ username: '', displayName: '', password: '', role: 'user' });
      onDone();
    }
  };
  const err = (k: string): string | undefined => problems[k] ?? fe.byField[k];
  return (
    <form
      className="card form"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-labelledby="new-user"
    >
      <h2 id="new-user">New user</h2>
      <Alert error={s.error && !Object.keys(fe.byField).length ? s.error : null} />
      <div className="form-grid">
        <Field
          label="Username"
          autoComplete="off"
          value={v.username}
          onChange={set('username')}
          error={err('username')}
        />
        <Field
          label="Display name"
          value={v.displayName}
          onChange={set('displayName')}
          error={err('displayName')}
        />
        <Field
          label="Initial password"
          type="password"
          autoComplete="new-password"
          value={v.password}
          onChange={set('password')}
          error={err('password')}
        />
        <SelectField
          label="Role"
          value={v.role}
          onChange={set('role')}
          options={ROLES}
          error={err('role')}
        />
      </div>
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={s.busy}>
          {s.busy ? <Spinner inline label="Creating…" /> : 'Create user'}
        </button>
      </div>
    </form>
  );
}

function UserRow({ u, onChange }: { u: UserView; onChange: () => void }) {
  const s = useSubmit();
  return (
    <tr>
      <th scope="row">{u.username}</th>
      <td>{u.displayName}</td>
      <td>
        <Badge value={u.role} />
      </td>
      <td className="row-actions">
        <button
          type="button"
          className="btn btn-small"
          disabled={s.busy}
          onClick={() =>
            void s
              .run(() => admin.updateUser(u.id, { role: u.role === 'admin' ? 'user' : 'admin' }))
              .then((ok) => ok && onChange())
          }
        >
          {u.role === 'admin' ? 'Make employee' : 'Make admin'}
        </button>
        <ConfirmButton
          label="Delete"
          confirm={`Delete ${u.username}?`}
          onConfirm={() => s.run(() => admin.deleteUser(u.id)).then(() => onChange())}
        />
        {s.error ? <Alert error={s.error} /> : null}
      </td>
    </tr>
  );
}

function GroupCard({
  g,
  users,
  onChange,
}: {
  g: GroupView;
  users: UserView[];
  onChange: () => void;
}) {
  const [userId, setUserId] = useState('');
  const s = useSubmit();
  const { members } = g;
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!userId) {
      s.setError('Choose a user.');
      return;
    }
    if (await s.run(() => admin.addMember(g.id, userId))) {
      setUserId('');
      onChange();
    }
  };
  return (
    <article className="card" aria-labelledby={`group-${g.id}`}>
      <h3 id={`group-${g.id}`}>{g.name}</h3>
      {members.length === 0 ? (
        <p className="muted">No members.</p>
      ) : (
        <ul className="chips">
          {members.map((m) => (
            <li key={m.id} className="chip">
              {m.username}
              <ConfirmButton
                label="Remove"
                confirm="Remove?"
                onConfirm={() => s.run(() => admin.removeMember(g.id, m.id)).then(() => onChange())}
              />
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={(e) => void add(e)} noValidate>
        <SelectField
          label={`Add a member to ${g.name}`}
          value={userId}
          onChange={(e) => setUserId(e.target.value)}
          error={typeof s.error === 'string' ? s.error : undefined}
          options={[
            { value: '', label: 'Choose…' },
            ...users
              .filter((u) => !members.some((m) => m.id === u.id))
              .map((u) => ({ value: u.id, label: u.username })),
          ]}
        />
        <button type="submit" className="btn" disabled={s.busy}>
          Add
        </button>
      </form>
      {s.error && typeof s.error !== 'string' ? <Alert error={s.error} /> : null}
    </article>
  );
}

function NewGroup({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState('');
  const s = useSubmit();
  const fe = fieldErrors(s.error, ['name']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) {
      s.setError('Enter a group name.');
      return;
    }
    if (await s.run(() => admin.createGroup(name.trim()))) {
      setName('');
      onDone();
    }
  };
  const nameError = typeof s.error === 'string' ? s.error : fe.byField.name;
  return (
    <form className="inline-form card" onSubmit={(e) => void submit(e)} noValidate>
      <Field
        label="New group"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={nameError}
      />
      <button type="submit" className="btn btn-primary" disabled={s.busy}>
        Create group
      </button>
      {s.error && typeof s.error !== 'string' && !nameError ? <Alert error={s.error} /> : null}
    </form>
  );
}

export function UsersPage() {
  const data = useLoad(async () => {
    const [users, groups] = await Promise.all([admin.users(), admin.groups()]);
    return { users, groups };
  }, []);
  return (
    <section>
      <h1>Users and groups</h1>
      <Loaded state={data} label="Loading users…">
        {({ users, groups }) => (
          <>
            <div className="card table-card">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Username</th>
                    <th scope="col">Name</th>
                    <th scope="col">Role</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {users.map((u) => (
                    <UserRow key={u.id} u={u} onChange={data.reload} />
                  ))}
                </tbody>
              </table>
            </div>
            <NewUser onDone={data.reload} />
            <h2>Groups</h2>
            <div className="group-grid">
              {groups.map((g) => (
                <GroupCard key={g.id} g={g} users={users} onChange={data.reload} />
              ))}
            </div>
            <NewGroup onDone={data.reload} />
          </>
        )}
      </Loaded>
    </section>
  );
}
