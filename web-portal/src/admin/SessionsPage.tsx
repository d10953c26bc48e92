import { admin } from '../api/client';
import { since } from '../api/status';
import { Alert } from '../components/Alert';
import { ConfirmButton } from '../components/ConfirmButton';
import { Loaded } from '../components/Loaded';
import { Table } from '../components/Table';
import { useLoad } from '../components/useLoad';
import { useSubmit } from '../components/useSubmit';
import { href } from '../router';
import { dateTime, mib } from './format';

export function SessionsPage() {
  const sessions = useLoad(() => admin.sessions(), [], 10_000);
  const off = useSubmit();
  return (
    <section>
      <h1>Live sessions</h1>
      <Alert error={off.error} />
      <Loaded state={sessions} label="Loading sessions…">
        {(list) =>
          list.length === 0 ? (
            <p className="muted card empty">Nobody is on a desktop right now.</p>
          ) : (
            <Table
              columns={[
                'Who',
                'Desktop',
                'Pool',
                'Since',
                { label: 'Private memory', className: 'num' },
                { label: 'Shared memory', className: 'num' },
              ]}
              actions
            >
              {list.map((s) => (
                <tr key={s.desktopId}>
                  <th scope="row">
                    {s.username}
                    {!s.connected && <span className="muted"> (disconnected)</span>}
                  </th>
                  <td>
                    <code title={s.desktopId}>{s.desktopId.slice(0, 8)}</code>
                    {s.agent && <span className="muted"> on {s.agent}</span>}
                  </td>
                  <td>{s.pool}</td>
                  <td title={dateTime(s.since)}>{s.since ? since(s.since) : '—'}</td>
                  <td className="num">{mib(s.privateMib)}</td>
                  <td className="num">{mib(s.sharedMib)}</td>
                  <td className="row-actions">
                    <a className="btn btn-small" href={href({ name: 'shadow', id: s.desktopId })}>
                      Shadow
                    </a>
                    <ConfirmButton
                      label="Force log off"
                      confirm={`Log ${s.username} off?`}
                      onConfirm={() =>
                        off.run(() => admin.forceLogoff(s.desktopId)).then(() => sessions.reload())
                      }
                    />
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
