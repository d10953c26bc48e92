import { useCallback, useEffect, useState } from 'react';
import type { DesktopBrief } from '@forkdesk/broker-contract';
import { my } from '../api/client';
import { describeError } from '../api/errors';
import { connectable, ended, OPEN_STEPS, openStep } from '../api/status';
import { ConfirmButton } from '../components/ConfirmButton';
import { Progress } from '../components/Progress';
import { useLoad } from '../components/useLoad';
import { Viewer } from '../desktop/Viewer';
import { navigate } from '../router';

/** The broker's preparation steps take a second or so: look often enough to show each. */
const POLL_MS = 250;

/**
 * Pools whose desktop's fork hook failed after "open" answered (a fork that took longer than
 * the broker waits): opened once more on another desktop, then the error is shown.
 */
const retriedPools = new Set<string>();
const hookFailed = (d: DesktopBrief): boolean =>
  ended(d.state) && /^personalization failed/.test(d.lastError ?? '');

/** Waits for the desktop to be ready (live progress), then shows it in the tab. */
export default function DesktopPage({ id }: { id: string }) {
  const [desktop, setDesktop] = useState<DesktopBrief>();
  const [error, setError] = useState<string>();
  const [connected, setConnected] = useState(false);
  const [shown, setShown] = useState(false);
  const ready = desktop !== undefined && connectable(desktop);
  const pools = useLoad(() => my.pools(), []);
  const title = pools.data?.find((p) => p.pool.id === desktop?.poolId)?.pool.name ?? 'Desktop';

  useEffect(() => {
    if (ready) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      try {
        const d = await my.desktop(id);
        if (stop) return;
        setDesktop(d);
        if (hookFailed(d) && !retriedPools.has(d.poolId)) {
          retriedPools.add(d.poolId);
          const again = await my.open(d.poolId);
          if (!stop) navigate({ name: 'desktop', id: again.desktop.id });
        } else if (hookFailed(d))
          setError(
            'Your desktop could not be prepared: its start-up step failed twice. Try again in a minute; if it keeps failing, tell your administrator.',
          );
        else if (d.lastError) setError(d.lastError);
        else if (ended(d.state))
          setError('This desktop has ended. Open it again from My desktops.');
        else if (!connectable(d)) timer = setTimeout(() => void poll(), POLL_MS);
      } catch (err) {
        if (!stop) setError(describeError(err));
      }
    };
    void poll();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [id, ready]);

  const getTicket = useCallback(() => my.connect(id), [id]);
  // Connected is not "ready": the step is done when the display shows a picture.
  const step = shown
    ? openStep('shown')
    : connected || ready
      ? openStep('connecting')
      : openStep('desktop', desktop?.step);
  const progress = (
    <div className="desktop-progress">
      <h1>Opening your desktop</h1>
      <Progress steps={OPEN_STEPS} current={step} error={error} />
      {error && (
        <a href="#/" className="btn">
          Back to my desktops
        </a>
      )}
    </div>
  );

  if (!ready || error) return <div className="viewer viewer-waiting">{progress}</div>;
  return (
    <Viewer
      title={title}
      getTicket={getTicket}
      onPhase={(p) => setConnected(p === 'connected')}
      onDrawn={() => setShown(true)}
      progress={progress}
      actions={
        <ConfirmButton
          label="Log off"
          confirm="Log off and close all programs?"
          onConfirm={async () => {
            try {
              await my.logoff(id);
              navigate({ name: 'desktops' });
            } catch (err) {
              setError(describeError(err));
            }
          }}
        />
      }
    />
  );
}
