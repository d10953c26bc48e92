import { useState } from 'react';
import {
  MIN_CPU_LIMIT_PERCENT,
  type GroupView,
  type ImageView,
  type PoolSettings,
  type PoolView,
  type UserView,
} from '@forkdesk/broker-contract';
import { admin } from '../api/client';
import { fieldErrors, formError } from '../api/errors';
import { Alert } from '../components/Alert';
import { Chips } from '../components/Chips';
import { ConfirmButton } from '../components/ConfirmButton';
import { Field, SelectField } from '../components/Field';
import { FormCard } from '../components/FormCard';
import { AddForm } from '../components/InlineForm';
import { Loaded } from '../components/Loaded';
import { Table } from '../components/Table';
import { useFields } from '../components/useFields';
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
  const { values: v, bind: set } = useFields<PoolValues>(
    pool ? valuesOf(pool) : { ...EMPTY_POOL, imageId: images[0]?.id ?? '' },
  );
  const [problems, setProblems] = useState<Partial<Record<keyof PoolSettings, string>>>({});
  const s = useSubmit();
  const fe = fieldErrors(s.error, POOL_FIELDS);
  // A field's value, change handler and error (the form's check first, then the broker's).
  const field = (k: keyof PoolSettings) => ({
    value: v[k],
    onChange: set(k),
    error: problems[k] ?? fe.byField[k],
  });
  // A number field with its lowest value.
  const numeric = (k: keyof PoolSettings, min: number) => ({ type: 'number', min, ...field(k) });

  const submit = async () => {
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

  return (
    <FormCard
      title={pool ? `Edit pool ${pool.name}` : 'New pool'}
      error={formError(s.error, fe)}
      onSubmit={submit}
      submit={pool ? 'Save changes' : 'Create pool'}
      busy={s.busy}
      busyLabel="Saving…"
      onCancel={onCancel}
    >
      <Field label="Name" {...field('name')} />
      <SelectField
        label="Golden image"
        {...field('imageId')}
        options={[
          { value: '', label: 'Choose…' },
          ...images.map((i) => ({ value: i.id, label: i.name })),
        ]}
      />
      <Field label="vCPUs" {...numeric('vcpus', 1)} />
      <Field label="Memory (MiB)" step={256} {...numeric('memoryMib', 256)} />
      <Field
        label="CPU limit per desktop (% of one core)"
        hint="The most processor time one desktop may take, so a busy desktop cannot slow the others: 50 is half a core, 200 two cores, up to 100 per vCPU. Leave empty for no limit. A change applies to desktops started after it; running ones keep theirs."
        placeholder="No limit"
        {...numeric('cpuLimitPercent', MIN_CPU_LIMIT_PERCENT)}
      />
      <Field
        label="Spare desktops"
        hint="Forked ahead so sign-in is instant."
        {...numeric('minSpare', 0)}
      />
      <Field label="Maximum size" {...numeric('maxSize', 1)} />
      <SelectField label="Refresh policy" {...field('refreshPolicy')} options={REFRESH} />
      <SelectField label="Assignment" {...field('assignmentMode')} options={ASSIGNMENT} />
      <SelectField label="Home folder" {...field('persistentHome')} options={HOME} />
      <Field
        label="Disconnect timeout (minutes)"
        hint="A closed browser tab keeps the desktop this long; 0 = never log off."
        {...numeric('idleTimeoutMin', 0)}
      />
      <SelectField label="Network" {...field('networkMode')} options={NETWORK} />
    </FormCard>
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
  const nameOf = (e: { userId?: string | null; groupId?: string | null; name?: string }): string =>
    e.name ??
    (e.groupId
      ? `group ${groups.find((g) => g.id === e.groupId)?.name ?? e.groupId}`
      : (users.find((u) => u.id === e.userId)?.username ?? e.userId ?? '?'));

  return (
    <div className="card" aria-label={`Entitlements of ${pool.name}`} role="region">
      <h2>Who may use {pool.name}</h2>
      <Loaded state={list} label="Loading entitlements…">
        {(ents) => (
          <Chips
            items={ents}
            empty="Nobody yet."
            name={nameOf}
            remove={(e) => admin.unentitle(pool.id, e.id)}
            onRemoved={list.reload}
          />
        )}
      </Loaded>
      <AddForm
        label="Entitle a user or group"
        required="Choose a user or a group."
        submit="Entitle"
        busyLabel="Adding…"
        options={[
          ...groups.map((g) => ({ value: `group:${g.id}`, label: `Group: ${g.name}` })),
          ...users.map((u) => ({ value: `user:${u.id}`, label: `User: ${u.username}` })),
        ]}
        add={(who) => {
          const [kind, id] = who.split(':');
          return admin.entitle(pool.id, kind === 'group' ? { groupId: id } : { userId: id });
        }}
        onAdded={list.reload}
      />
    </div>
  );
}

type Panel =
  { kind: 'new' } | { kind: 'edit'; pool: PoolView } | { kind: 'entitle'; pool: PoolView } | null;

/** The panels a pool's row opens, with their buttons' labels. */
const ROW_PANELS = [
  ['edit', 'Edit'],
  ['entitle', 'Entitlements'],
] as const;

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
              <Table
                columns={[
                  'Pool',
                  'Image',
                  'Desktop size',
                  'Spare / max',
                  'Refresh',
                  'Idle timeout',
                  'Network',
                ]}
                actions
              >
                {pools.map((p) => (
                  <tr key={p.id}>
                    <th scope="row">{p.name}</th>
                    <td>{images.find((i) => i.id === p.imageId)?.name ?? '—'}</td>
                    <td>
                      {p.vcpus} vCPU · {mib(p.memoryMib)}
                      {p.cpuLimitPercent === null ? '' : ` · CPU ≤ ${p.cpuLimitPercent}%`}
                    </td>
                    <td>
                      {p.minSpare} / {p.maxSize}
                    </td>
                    <td>
                      {REFRESH.find((r) => r.value === p.refreshPolicy)?.label ?? p.refreshPolicy}
                    </td>
                    <td>{p.idleTimeoutMin ? `${p.idleTimeoutMin} min` : 'never'}</td>
                    <td>{p.networkMode}</td>
                    <td className="row-actions">
                      {ROW_PANELS.map(([kind, label]) => (
                        <button
                          key={kind}
                          type="button"
                          className="btn btn-small"
                          onClick={() => setPanel({ kind, pool: p })}
                        >
                          {label}
                        </button>
                      ))}
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
              </Table>
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
