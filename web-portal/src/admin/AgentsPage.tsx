import { useState, type ReactNode } from 'react';
import type { AgentView } from '@forkdesk/broker-contract';
import { admin } from '../api/client';
import { since } from '../api/status';
import { Alert } from '../components/Alert';
import { Badge } from '../components/Badge';
import { StackedBars } from '../components/Charts';
import { Loaded } from '../components/Loaded';
import { Spinner } from '../components/Spinner';
import { useLoad } from '../components/useLoad';
import { useSubmit } from '../components/useSubmit';
import { dateTime, mib } from './format';
import { hostChart } from './overview';

function Fact({ term, value }: { term: string; value: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** A titled list, or "None." */
function Listed<T>({
  title,
  items,
  children,
}: {
  title: string;
  items: T[];
  children: (item: T) => ReactNode;
}) {
  return (
    <div>
      <h3>{title}</h3>
      {items.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="plain">{items.map(children)}</ul>
      )}
    </div>
  );
}

function AgentCard({ a }: { a: AgentView }) {
  const { templates, desktops } = a;
  return (
    <article className="card agent" aria-labelledby={`agent-${a.id}`}>
      <div className="page-head">
        <h2 id={`agent-${a.id}`}>
          {a.name} <Badge value={a.state} />
        </h2>
        <span className="muted" title={dateTime(a.lastHeartbeatAt)}>
          {a.lastHeartbeatAt
            ? `last heartbeat: ${since(a.lastHeartbeatAt)}${since(a.lastHeartbeatAt) === 'just now' ? '' : ' ago'}`
            : 'no heartbeat yet'}
          {a.accel ? ` · ${a.accel}` : ''}
        </span>
      </div>
      {a.problem && (
        <Alert error={`${a.problem}${a.problemAt ? ` (since ${dateTime(a.problemAt)})` : ''}`} />
      )}
      <dl className="facts">
        <Fact term="Memory" value={mib(a.totalMib)} />
        <Fact term="Free" value={mib(a.availableMib)} />
        <Fact term="Reserved" value={mib(a.reserveMib)} />
        <Fact term="Desktops" value={desktops.length} />
        <Fact term="Templates" value={templates.length} />
      </dl>
      <div className="two-col">
        <Listed title="Templates" items={templates}>
          {(t) => (
            <li key={t.id}>
              <code title={t.imageVersionId}>{t.imageVersionId.slice(0, 8)}</code>{' '}
              <Badge value={t.state} />
              <span className="muted">
                {' '}
                · {t.vcpus} vCPU · {mib(t.memoryMib)}
              </span>
            </li>
          )}
        </Listed>
        <Listed title="Desktops" items={desktops}>
          {(d) => (
            <li key={d.id}>
              <code>{d.id.slice(0, 8)}</code> <Badge value={d.state} />
              <span className="muted">
                {d.privateMib != null ? ` · ${mib(d.privateMib)} private` : ''}
                {d.sharedMib != null ? ` · ${mib(d.sharedMib)} shared` : ''}
              </span>
            </li>
          )}
        </Listed>
      </div>
    </article>
  );
}

export function AgentsPage() {
  const agents = useLoad(() => admin.agents(), [], 10_000);
  const [token, setToken] = useState<string>();
  const s = useSubmit();
  return (
    <section>
      <div className="page-head">
        <h1>Agents</h1>
        <button
          type="button"
          className="btn btn-primary"
          disabled={s.busy}
          onClick={() => void s.run(async () => setToken((await admin.enrollmentToken()).token))}
        >
          {s.busy ? <Spinner inline label="Creating…" /> : 'New enrollment token'}
        </button>
      </div>
      <Alert error={s.error} />
      {token && (
        <div className="card notice-card" role="status">
          <p>
            Enrollment token (shown once; give it to the new host's agent as{' '}
            <code>FORKDESK_ENROLLMENT_TOKEN</code>):
          </p>
          <pre className="token">{token}</pre>
        </div>
      )}
      <Loaded state={agents} label="Loading agents…">
        {(list) =>
          list.length === 0 ? (
            <p className="muted card empty">No agent has enrolled yet.</p>
          ) : (
            <>
              <div className="card">
                <StackedBars {...hostChart(list)} />
              </div>
              {list.map((a) => (
                <AgentCard key={a.id} a={a} />
              ))}
            </>
          )
        }
      </Loaded>
    </section>
  );
}
