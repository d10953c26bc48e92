import { admin } from '../api/client';
import { since } from '../api/status';
import { Alert } from '../components/Alert';
import { ConfirmButton } from '../components/ConfirmButton';
import { Loaded } from '../components/Loaded';
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
            <div className="card table-card">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Who</th>
                    <th scope="col">Desktop</th>
                    <th scope="col">Pool</th>
                    <th scope="col">Since</th>
                    <th scope="col" className="num">
                      Private memory
                    </th>
                    <th scope="col" className="num">
                      Shared memory
                    </th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
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
                        <a
                          className="btn btn-small"
                          href={href({ name: 'shadow', id: s.desktopId })}
                        >
                          Shadow
                        </a>
                        <ConfirmButton
                          label="Force log off"
                          confirm={`Log ${s.username} off?`}
                          onConfirm={() =>
                            off
                              .run(() => admin.forceLogoff(s.desktopId))
                              .then(() => sessions.reload())
                          }
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </section>
  );
}
