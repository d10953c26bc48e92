import { useState } from 'react';
import type { GroupView, UserRole, UserView } from '@forkdesk/broker-contract';
import { admin } from '../api/client';
import { fieldErrors, formError } from '../api/errors';
import { Alert } from '../components/Alert';
import { Badge } from '../components/Badge';
import { Chips } from '../components/Chips';
import { ConfirmButton } from '../components/ConfirmButton';
import { Field, SelectField } from '../components/Field';
import { FormCard } from '../components/FormCard';
import { AddForm, TextForm } from '../components/InlineForm';
import { Loaded } from '../components/Loaded';
import { Table } from '../components/Table';
import { useFields } from '../components/useFields';
import { useLoad } from '../components/useLoad';
import { useSubmit } from '../components/useSubmit';
import { MIN_PASSWORD } from '../pages/PasswordPage';

const ROLES = [
  { value: 'user', label: 'Employee' },
  { value: 'admin', label: 'Administrator' },
];

const NO_USER = { username: '', displayName: '', password: '', role: 'user' };

function NewUser({ onDone }: { onDone: () => void }) {
  const { values: v, setValues, bind } = useFields(NO_USER);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const s = useSubmit();
  const fe = fieldErrors(s.error, Object.keys(NO_USER));
  const field = (k: keyof typeof NO_USER) => ({
    value: v[k],
    onChange: bind(k),
    error: problems[k] ?? fe.byField[k],
  });
  const submit = async () => {
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
      setValues(NO_USER);
      onDone();
    }
  };
  return (
    <FormCard
      title="New user"
      error={formError(s.error, fe)}
      onSubmit={submit}
      submit="Create user"
      busy={s.busy}
      busyLabel="Creating…"
    >
      <Field label="Username" autoComplete="off" {...field('username')} />
      <Field label="Display name" {...field('displayName')} />
      <Field
        label="Initial password"
        type="password"
        autoComplete="new-password"
        {...field('password')}
      />
      <SelectField label="Role" {...field('role')} options={ROLES} />
    </FormCard>
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
  const { members } = g;
  return (
    <article className="card" aria-labelledby={`group-${g.id}`}>
      <h3 id={`group-${g.id}`}>{g.name}</h3>
      <Chips
        items={members}
        empty="No members."
        name={(m) => m.username}
        remove={(m) => admin.removeMember(g.id, m.id)}
        onRemoved={onChange}
      />
      <AddForm
        label={`Add a member to ${g.name}`}
        required="Choose a user."
        submit="Add"
        options={users
          .filter((u) => !members.some((m) => m.id === u.id))
          .map((u) => ({ value: u.id, label: u.username }))}
        add={(userId) => admin.addMember(g.id, userId)}
        onAdded={onChange}
      />
    </article>
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
            <Table columns={['Username', 'Name', 'Role']} actions>
              {users.map((u) => (
                <UserRow key={u.id} u={u} onChange={data.reload} />
              ))}
            </Table>
            <NewUser onDone={data.reload} />
            <h2>Groups</h2>
            <div className="group-grid">
              {groups.map((g) => (
                <GroupCard key={g.id} g={g} users={users} onChange={data.reload} />
              ))}
            </div>
            <TextForm
              className="inline-form card"
              primary
              label="New group"
              required="Enter a group name."
              brokerField="name"
              submit="Create group"
              add={(name) => admin.createGroup(name)}
              onAdded={data.reload}
            />
          </>
        )}
      </Loaded>
    </section>
  );
}
