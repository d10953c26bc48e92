import { useState, type FormEvent } from 'react';
import type {
  GroupView,
  ImageView,
  PoolSettings,
  PoolView,
  UserView,
} from '@forkdesk/broker-contract';
import { admin } from '../api/client';
import { fieldErrors } from '../api/errors';
import { Alert } from '../components/Alert';
import { ConfirmButton } from '../components/ConfirmButton';
import { Field, SelectField } from '../components/Field';
import { Loaded } from '../components/Loaded';
import { Spinner } from '../components/Spinner';
import { useLoad } from '../components/useLoad';
import { useSubmit } from '../components/useSubmit';
import { mib } from './format';
import {
  changedFields,
  EMPTY_POOL,
  POOL_FIELDS,
  poolProblems,
  toPoolInput,
  valuesOf,
  type PoolValues,
} from './poolForm';

const REFRESH = [
  { value: 'on_logoff', label: 'Fresh desktop at every logoff' },
  { value: 'nightly', label: 'Nightly' },
  { value: 'never', label: 'Never' },
];
const ASSIGNMENT = [
  { value: 'floating', label: 'Floating (any desktop, fresh at logoff)' },
  { value: 'dedicated', label: 'Dedicated (the same desktop every time)' },
];
const HOME = [
  { value: 'false', label: 'On the desktop (goes with it)' },
  { value: 'true', label: 'Persistent disk per user' },
];
const NETWORK = [
  { value: 'restricted', label: 'Restricted (no network)' },
  { value: 'nat', label: 'NAT (internet, no private ranges)' },
];

function PoolForm({
  pool,
  images,
  onDone,
  onCancel,
}: {
  pool?: PoolView;
  images: ImageView[];
  onDone: () => void;
  onCancel: () => void;
}) {
  const [v, setV] = useState<PoolValues>(
    pool ? valuesOf(pool) : { ...EMPTY_POOL, imageId: images[0]?.id ?? '' },
  );
  const [problems, setProblems] = useState<Partial<Record<keyof PoolSettings, string>>>({});
  const s = useSubmit();
  const fe = fieldErrors(s.error, POOL_FIELDS);
  const set = (k: keyof PoolSettings) => (e: { target: { value: string } }) =>
    setV({ ...v, [k]: e.target.value });
  const err = (k: keyof PoolSettings): string | undefined => problems[k] ?? fe.byField[k];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const p = poolProblems(v);
    setProblems(p);
    if (Object.keys(p).length) return;
    const input = toPoolInput(v);
    const ok = await s.run(() =>
      pool
        ? admin.updatePool(pool.id, changedFields(toPoolInput(valuesOf(pool)), input))
        : admin.createPool(input),
    );
    if (ok) onDone();
  };

  const title = pool ? `Edit pool ${pool.name}` : 'New pool';
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} noValidate aria-label={title}>
      <h2>{title}</h2>
      <Alert
        error={
          s.error && !Object.keys(fe.byField).length
            ? s.error
            : fe.rest.length
              ? fe.rest.join('; ')
              : null
        }
      />
      <div className="form-grid">
        <Field label="Name" value={v.name} onChange={set('name')} error={err('name')} />
        <SelectField
          label="Golden image"
          value={v.imageId}
          onChange={set('imageId')}
          error={err('imageId')}
          options={[
            { value: '', label: 'Choose…' },
            ...images.map((i) => ({ value: i.id, label: i.name })),
          ]}
        />
        <Field
          label="vCPUs"
          type="number"
          min={1}
          value={v.vcpus}
          onChange={set('vcpus')}
          error={err('vcpus')}
        />
        <Field
          label="Memory (MiB)"
          type="number"
          min={256}
          step={256}
          value={v.memoryMib}
          onChange={set('memoryMib')}
          error={err('memoryMib')}
        />
        <Field
          label="Spare desktops"
          hint="Forked ahead so sign-in is instant."
          type="number"
          min={0}
          value={v.minSpare}
          onChange={set('minSpare')}
          error={err('minSpare')}
        />
        <Field
          label="Maximum size"
          type="number"
          min={1}
          value={v.maxSize}
          onChange={set('maxSize')}
          error={err('maxSize')}
        />
        <SelectField
          label="Refresh policy"
          value={v.refreshPolicy}
          onChange={set('refreshPolicy')}
          error={err('refreshPolicy')}
          options={REFRESH}
        />
        <SelectField
          label="Assignment"
          value={v.assignmentMode}
          onChange={set('assignmentMode')}
          error={err('assignmentMode')}
          options={ASSIGNMENT}
        />
        <SelectField
          label="Home folder"
          value={v.persistentHome}
          onChange={set('persistentHome')}
          error={err('persistentHome')}
          options={HOME}
        />
        <Field
          label="Disconnect timeout (minutes)"
          hint="A closed browser tab keeps the desktop this long; 0 = never log off."
          type="number"
          min={0}
          value={v.idleTimeoutMin}
          onChange={set('idleTimeoutMin')}
          error={err('idleTimeoutMin')}
        />
        <SelectField
          label="Network"
          value={v.networkMode}
          onChange={set('networkMode')}
          error={err('networkMode')}
          options={NETWORK}
        />
      </div>
      <div className="actions">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={s.busy}>
          {s.busy ? <Spinner inline label="Saving…" /> : pool ? 'Save changes' : 'Create pool'}
        </button>
      </div>
    </form>
  );
}

function Entitlements({
  pool,
  users,
  groups,
}: {
  pool: PoolView;
  users: UserView[];
  groups: GroupView[];
}) {
  const list = useLoad(() => admin.entitlements(pool.id), [pool.id]);
  const [who, setWho] = useState('');
  const s = useSubmit();
  const nameOf = (e: { userId?: string | null; groupId?: string | null; name?: string }): string =>
    e.name ??
    (e.groupId
      ? `group ${groups.find((g) => g.id === e.groupId)?.name ?? e.groupId}`
      : (users.find((u) => u.id === e.userId)?.username ?? e.userId ?? '?'));

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!who) {
      s.setError('Choose a user or a group.');
      return;
    }
    const [kind, id] = who.split(':');
    if (
      await s.run(() => admin.entitle(pool.id, kind === 'group' ? { groupId: id } : { userId: id }))
    ) {
      setWho('');
      list.reload();
    }
  };

  return (
    <div className="card" aria-label={`Entitlements of ${pool.name}`} role="region">
      <h2>Who may use {pool.name}</h2>
      <Loaded state={list} label="Loading entitlements…">
        {(ents) =>
          ents.length === 0 ? (
            <p className="muted">Nobody yet.</p>
          ) : (
            <ul className="chips">
              {ents.map((e) => (
                <li key={e.id} className="chip">
                  {nameOf(e)}
                  <ConfirmButton
                    label="Remove"
                    confirm="Remove?"
                    onConfirm={() =>
                      s.run(() => admin.unentitle(pool.id, e.id)).then(() => list.reload())
                    }
                  />
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <form className="inline-form" onSubmit={(e) => void add(e)} noValidate>
        <SelectField
          label="Entitle a user or group"
          value={who}
          onChange={(e) => setWho(e.target.value)}
          error={typeof s.error === 'string' ? s.error : undefined}
          options={[
            { value: '', label: 'Choose…' },
            ...groups.map((g) => ({ value: `group:${g.id}`, label: `Group: ${g.name}` })),
            ...users.map((u) => ({ value: `user:${u.id}`, label: `User: ${u.username}` })),
          ]}
        />
        <button type="submit" className="btn" disabled={s.busy}>
          {s.busy ? <Spinner inline label="Adding…" /> : 'Entitle'}
        </button>
      </form>
      {s.error && typeof s.error !== 'string' ? <Alert error={s.error} /> : null}
    </div>
  );
}

type Panel =
  { kind: 'new' } | { kind: 'edit'; pool: PoolView } | { kind: 'entitle'; pool: PoolView } | null;

export function PoolsPage() {
  const data = useLoad(async () => {
    const [pools, images, users, groups] = await Promise.all([
      admin.pools(),
      admin.images(),
      admin.users(),
      admin.groups(),
    ]);
    return { pools, images, users, groups };
  }, []);
  const [panel, setPanel] = useState<Panel>(null);
  const del = useSubmit();
  const done = (): void => {
    setPanel(null);
    data.reload();
  };

  return (
    <section>
      <div className="page-head">
        <h1>Pools</h1>
        <button type="button" className="btn btn-primary" onClick={() => setPanel({ kind: 'new' })}>
          New pool
        </button>
      </div>
      <Alert error={del.error} />
      <Loaded state={data} label="Loading pools…">
        {({ pools, images, users, groups }) => (
          <>
            {panel?.kind === 'new' && (
              <PoolForm images={images} onDone={done} onCancel={() => setPanel(null)} />
            )}
            {pools.length === 0 ? (
              <p className="muted">No pools yet.</p>
            ) : (
              <div className="card table-card">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Pool</th>
                      <th scope="col">Image</th>
                      <th scope="col">Desktop size</th>
                      <th scope="col">Spare / max</th>
                      <th scope="col">Refresh</th>
                      <th scope="col">Idle timeout</th>
                      <th scope="col">Network</th>
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {pools.map((p) => (
                      <tr key={p.id}>
                        <th scope="row">{p.name}</th>
                        <td>{images.find((i) => i.id === p.imageId)?.name ?? '—'}</td>
                        <td>
                          {p.vcpus} vCPU · {mib(p.memoryMib)}
                        </td>
                        <td>
                          {p.minSpare} / {p.maxSize}
                        </td>
                        <td>
                          {REFRESH.find((r) => r.value === p.refreshPolicy)?.label ??
                            p.refreshPolicy}
                        </td>
                        <td>{p.idleTimeoutMin ? `${p.idleTimeoutMin} min` : 'never'}</td>
                        <td>{p.networkMode}</td>
                        <td className="row-actions">
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => setPanel({ kind: 'edit', pool: p })}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => setPanel({ kind: 'entitle', pool: p })}
                          >
                            Entitlements
                          </button>
                          <ConfirmButton
                            label="Delete"
                            confirm={`Delete ${p.name}?`}
                            onConfirm={() =>
                              del.run(() => admin.deletePool(p.id)).then(() => data.reload())
                            }
                          />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {panel?.kind === 'edit' && (
              <PoolForm
                key={panel.pool.id}
                pool={panel.pool}
                images={images}
                onDone={done}
                onCancel={() => setPanel(null)}
              />
            )}
            {panel?.kind === 'entitle' && (
              <Entitlements key={panel.pool.id} pool={panel.pool} users={users} groups={groups} />
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}
