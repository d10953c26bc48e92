import { useEffect, useState } from 'react';
import type { MyPool } from '@forkdesk/broker-contract';
import { my } from '../api/client';
import { employeeStatus, preparingNote, sessionNote, since } from '../api/status';
import { Alert } from '../components/Alert';
import { Badge } from '../components/Badge';
import { ConfirmButton } from '../components/ConfirmButton';
import { Loaded } from '../components/Loaded';
import { Spinner } from '../components/Spinner';
import { useLoad } from '../components/useLoad';
import { navigate } from '../router';

/** While "Open" runs, the list is read this often so the card shows the broker's step. */
const OPENING_POLL_MS = 500;

/** The button's words while opening, from the step the broker reports. */
const OPENING_LABEL = {
  reserving: 'Reserving…',
  personalizing: 'Personalizing…',
  ready: 'Connecting…',
  ended: 'Reserving…',
} as const;

function PoolCard({ item, reload }: { item: MyPool; reload: () => void }) {
  const [opening, setOpening] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // A spare the broker holds for this user is not theirs until they open it.
  const held = item.desktop?.heldUntil != null;
  const status = held ? 'none' : employeeStatus(item.desktop?.state);
  const note = sessionNote(item.desktop) ?? preparingNote(item.desktop);
  const headingId = `pool-${item.pool.id}`;

  useEffect(() => {
    if (!opening) return;
    const t = setInterval(reload, OPENING_POLL_MS);
    return () => clearInterval(t);
  }, [opening, reload]);

  const open = async () => {
    setOpening(true);
    setError(null);
    try {
      const { desktop } = await my.open(item.pool.id);
      navigate({ name: 'desktop', id: desktop.id });
    } catch (err) {
      setError(err);
      setOpening(false);
    }
  };

  return (
    <article className="card desktop-card" aria-labelledby={headingId}>
      <div className="desktop-thumb" aria-hidden="true">
        <svg viewBox="0 0 64 40">
          <rect x="1" y="1" width="62" height="34" rx="3" className="thumb-screen" />
          <rect x="24" y="36" width="16" height="3" rx="1" className="thumb-stand" />
        </svg>
      </div>
      <div className="desktop-body">
        <h2 id={headingId}>{item.pool.name}</h2>
        <p className="muted">
          {item.pool.vcpus} vCPU ·{' '}
          {(item.pool.memoryMib / 1024).toFixed(item.pool.memoryMib % 1024 ? 1 : 0)} GiB
        </p>
        <p>
          {held ? (
            <Badge value={item.desktop?.step === 'ready' ? 'ready' : 'starting'} />
          ) : status === 'none' ? (
            <span className="muted">Not running</span>
          ) : (
            <>
              <Badge value={status} />
              {item.desktop && <span className="muted"> since {since(item.desktop.since)}</span>}
            </>
          )}
        </p>
        {note && <p className="muted">{note}</p>}
        <Alert error={error} />
      </div>
      <div className="desktop-actions">
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => void open()}
          disabled={opening}
        >
          {opening ? (
            <Spinner inline label={OPENING_LABEL[item.desktop?.step ?? 'reserving']} />
          ) : status === 'none' ? (
            'Open'
          ) : (
            'Resume'
          )}
        </button>
        {item.desktop && !held && status !== 'ending' && (
          <ConfirmButton
            label="Log off"
            confirm="Close all programs?"
            onConfirm={async () => {
              const id = item.desktop?.id;
              if (!id) return;
              try {
                await my.logoff(id);
              } catch (err) {
                setError(err);
              }
              reload();
            }}
          />
        )}
      </div>
    </article>
  );
}

export function MyDesktopsPage() {
  // Refreshed so a desktop that is starting elsewhere shows its progress here too.
  const pools = useLoad(() => my.pools(), [], 5000);
  return (
    <section>
      <h1>My desktops</h1>
      <Loaded state={pools} label="Loading your desktops…">
        {(list) =>
          list.length === 0 ? (
            <div className="card empty">
              <h2>No desktops yet</h2>
              <p className="muted">
                You are not entitled to any desktop pool. Ask your administrator for access.
              </p>
            </div>
          ) : (
            <div className="desktop-grid">
              {list.map((item) => (
                <PoolCard key={item.pool.id} item={item} reload={pools.reload} />
              ))}
            </div>
          )
        }
      </Loaded>
    </section>
  );
}
