import { useState, type FormEvent } from 'react';
import type { AuditFilter } from '@forkdesk/broker-contract';
import { admin } from '../api/client';
import { Field } from '../components/Field';
import { Loaded } from '../components/Loaded';
import { SubmitButton } from '../components/SubmitButton';
import { Table } from '../components/Table';
import { useFields } from '../components/useFields';
import { useLoad } from '../components/useLoad';
import { dateTime, localToIso } from './format';

const EMPTY = { action: '', actor: '', since: '', until: '', limit: '100' };

export function AuditPage() {
  const { values: form, setValues: setForm, bind: set } = useFields(EMPTY);
  const [filter, setFilter] = useState<AuditFilter>({ limit: 100 });
  const events = useLoad(() => admin.audit(filter), [filter]);
  const limitBad = !/^\d+$/.test(form.limit) || Number(form.limit) < 1 || Number(form.limit) > 1000;

  const apply = (e: FormEvent): void => {
    e.preventDefault();
    if (limitBad) return;
    setFilter({
      action: form.action.trim() || undefined,
      actor: form.actor.trim() || undefined,
      since: localToIso(form.since),
      until: localToIso(form.until),
      limit: Number(form.limit),
    });
  };

  return (
    <section>
      <h1>Audit log</h1>
      <form className="card filters" onSubmit={apply} noValidate aria-label="Filter the audit log">
        <Field
          label="Action"
          placeholder="pool.create"
          value={form.action}
          onChange={set('action')}
        />
        <Field label="Actor" placeholder="username" value={form.actor} onChange={set('actor')} />
        <Field label="Since" type="datetime-local" value={form.since} onChange={set('since')} />
        <Field label="Until" type="datetime-local" value={form.until} onChange={set('until')} />
        <Field
          label="Limit"
          type="number"
          min={1}
          max={1000}
          value={form.limit}
          onChange={set('limit')}
          error={limitBad ? 'From 1 to 1000.' : undefined}
        />
        <div className="actions">
          <button
            type="button"
            className="btn"
            onClick={() => {
              setForm(EMPTY);
              setFilter({ limit: 100 });
            }}
          >
            Clear
          </button>
          <SubmitButton>Apply</SubmitButton>
        </div>
      </form>
      <Loaded state={events} label="Loading the audit log…">
        {(list) =>
          list.length === 0 ? (
            <p className="muted card empty">No events match.</p>
          ) : (
            <Table columns={['When', 'Actor', 'Action', 'Target', 'From', 'Details']}>
              {list.map((ev, i) => (
                <tr key={`${ev.at}-${i}`}>
                  <td>{dateTime(ev.at)}</td>
                  <td>{ev.actor}</td>
                  <td>
                    <code>{ev.action}</code>
                  </td>
                  <td>
                    {ev.targetType ?? ''}{' '}
                    {ev.targetId ? (
                      <code title={ev.targetId}>{ev.targetId.slice(0, 8)}</code>
                    ) : null}
                  </td>
                  <td>{ev.ip ?? '—'}</td>
                  <td className="details">
                    {Object.keys(ev.details).length ? JSON.stringify(ev.details) : ''}
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </Loaded>
    </section>
  );
}
