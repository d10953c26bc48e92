import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { TunnelGrant } from '@forkdesk/broker-contract';
import { Spinner } from '../components/Spinner';
import { browserReserved, COMBOS } from './keys';
import { DisplaySession, type ViewerPhase } from './session';

interface KeyboardLock {
  lock(keys?: string[]): Promise<void>;
  unlock(): void;
}
/** How long a connected but blank display is kept behind the progress. */
const BLANK_GRACE_MS = 20_000;

const keyboardLock = (): KeyboardLock | undefined =>
  (navigator as Navigator & { keyboard?: KeyboardLock }).keyboard;

export interface ViewerProps {
  title: string;
  readOnly?: boolean;
  getTicket(): Promise<TunnelGrant>;
  onPhase?(phase: ViewerPhase): void;
  /** The display showed its first picture with content (a blank frame is not shown as ready). */
  onDrawn?(): void;
  /** Buttons of the page (log off, stop shadowing) shown in the toolbar. */
  actions?: ReactNode;
  /** Shown over the display until the first connection. */
  progress?: ReactNode;
}

/** The desktop in the tab: display fitted to the window, input, clipboard, fullscreen, reconnect. */
export function Viewer({
  title,
  readOnly = false,
  getTicket,
  onPhase,
  onDrawn,
  actions,
  progress,
}: ViewerProps) {
  const frame = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const host = useRef<HTMLDivElement>(null);
  const session = useRef<DisplaySession | null>(null);
  const [phase, setPhase] = useState<ViewerPhase>('connecting');
  const [detail, setDetail] = useState<string>();
  const [everConnected, setEverConnected] = useState(false);
  // Connected is not usable: until the display drew something, the progress stays up.
  const [drawn, setDrawn] = useState(false);
  const [panel, setPanel] = useState<'none' | 'keys' | 'clipboard'>('none');
  const [clipboard, setClipboard] = useState('');
  const [hint, setHint] = useState<string>();
  const [fullscreen, setFullscreen] = useState(false);
  const ticket = useRef(getTicket);
  ticket.current = getTicket;
  const phaseCb = useRef(onPhase);
  phaseCb.current = onPhase;
  const drawnCb = useRef(onDrawn);
  drawnCb.current = onDrawn;

  useEffect(() => {
    if (!host.current || !box.current) return;
    const s = new DisplaySession(
      host.current,
      box.current,
      { readOnly, getTicket: () => ticket.current() },
      {
        phase: (p, d) => {
          setPhase(p);
          setDetail(d);
          if (p === 'connected') {
            setEverConnected(true);
            host.current?.focus();
          }
          phaseCb.current?.(p);
        },
        clipboard: (text) => {
          setClipboard(text);
          // Best effort: the browser may refuse without a user gesture.
          navigator.clipboard?.writeText(text).catch(() => undefined);
        },
        menu: () => setPanel((p) => (p === 'none' ? 'keys' : 'none')),
        drawn: () => {
          setDrawn(true);
          drawnCb.current?.();
        },
      },
    );
    session.current = s;
    s.start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onResize = (): void => {
      s.rescale();
      clearTimeout(timer);
      timer = setTimeout(() => s.resize(), 300);
    };
    const ro = new ResizeObserver(onResize);
    ro.observe(box.current);
    return () => {
      ro.disconnect();
      clearTimeout(timer);
      s.close();
      session.current = null;
    };
  }, [readOnly]);

  // Local clipboard → desktop when the viewer gets focus (Chromium asks for permission once).
  const pullClipboard = useCallback(() => {
    if (readOnly || !navigator.clipboard?.readText) return;
    navigator.clipboard.readText().then(
      (text) => {
        if (text) session.current?.sendClipboard(text);
      },
      () => undefined,
    );
  }, [readOnly]);

  useEffect(() => {
    const onFs = (): void => {
      const on = document.fullscreenElement === frame.current;
      setFullscreen(on);
      // In fullscreen Chromium lets a page take Ctrl+W, Alt+Tab, Esc… (Keyboard Lock API).
      if (on)
        void keyboardLock()
          ?.lock()
          .catch(() => undefined);
      else keyboardLock()?.unlock();
      setTimeout(() => session.current?.resize(), 100);
    };
    document.addEventListener('fullscreenchange', onFs);
    return () => document.removeEventListener('fullscreenchange', onFs);
  }, []);

  const toggleFullscreen = (): void => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else
      void frame.current
        ?.requestFullscreen()
        .catch(() => setHint('This browser refused fullscreen.'));
  };

  const onKeyDownCapture = (e: React.KeyboardEvent): void => {
    if (!fullscreen && !readOnly && browserReserved(e)) {
      setHint(`${e.key} may be taken by the browser: use fullscreen or the Keys menu.`);
    }
  };

  // A desktop that stays blank this long is shown anyway (saying so), not hidden forever.
  const [blankTooLong, setBlankTooLong] = useState(false);
  useEffect(() => {
    if (drawn || phase !== 'connected') return;
    const t = setTimeout(() => setBlankTooLong(true), BLANK_GRACE_MS);
    return () => clearTimeout(t);
  }, [drawn, phase]);

  const waiting = !drawn && !blankTooLong;
  // The first connection shows the page's progress until the first picture; later drops
  // (reconnecting, ended) show their own status.
  const first = waiting && (phase === 'connected' || (!everConnected && phase === 'connecting'));
  const overlay = first ? (
    (progress ?? <Spinner label="Connecting to the desktop…" />)
  ) : phase === 'connected' ? null : (
    <div className="viewer-status">
      {phase === 'reconnecting' || phase === 'connecting' ? (
        <Spinner label={detail ?? 'Reconnecting…'} />
      ) : (
        <p role="alert">{detail ?? 'Disconnected.'}</p>
      )}
      {(phase === 'failed' || phase === 'ended' || phase === 'reconnecting') && (
        <button type="button" className="btn btn-primary" onClick={() => session.current?.retry()}>
          Reconnect now
        </button>
      )}
    </div>
  );

  return (
    <div className={`viewer${fullscreen ? ' viewer-fullscreen' : ''}`} ref={frame}>
      <div className="viewer-bar" role="toolbar" aria-label="Desktop">
        <a
          href={readOnly ? '#/admin/sessions' : '#/'}
          className="btn btn-small btn-ghost viewer-back"
        >
          ← Back
        </a>
        <span className="viewer-title">
          {title}
          {readOnly && <span className="badge badge-violet">view only</span>}
          <span className={`dot dot-${phase}`} aria-label={phase} title={phase} />
        </span>
        <span className="viewer-tools">
          {!readOnly && (
            <>
              <button
                type="button"
                className="btn btn-small btn-ghost"
                aria-expanded={panel === 'keys'}
                onClick={() => setPanel(panel === 'keys' ? 'none' : 'keys')}
              >
                Keys
              </button>
              <button
                type="button"
                className="btn btn-small btn-ghost"
                aria-expanded={panel === 'clipboard'}
                onClick={() => setPanel(panel === 'clipboard' ? 'none' : 'clipboard')}
              >
                Clipboard
              </button>
            </>
          )}
          <button type="button" className="btn btn-small btn-ghost" onClick={toggleFullscreen}>
            {fullscreen ? 'Exit fullscreen' : 'Fullscreen'}
          </button>
          {actions}
        </span>
      </div>
      {panel === 'keys' && (
        <div className="viewer-panel" role="group" aria-label="Send keys">
          <p className="muted">
            Send a shortcut the browser would keep (Ctrl+Alt+Shift opens this menu).
          </p>
          <div className="keys">
            {COMBOS.map((c) => (
              <button
                key={c.label}
                type="button"
                className="btn btn-small"
                onClick={() => session.current?.sendCombo(c.keys)}
              >
                {c.label}
              </button>
            ))}
          </div>
        </div>
      )}
      {panel === 'clipboard' && (
        <div className="viewer-panel">
          <label htmlFor="viewer-clipboard">Clipboard (shared with the desktop)</label>
          <textarea
            id="viewer-clipboard"
            rows={4}
            value={clipboard}
            onChange={(e) => setClipboard(e.target.value)}
          />
          <div className="actions">
            <button
              type="button"
              className="btn btn-small btn-primary"
              onClick={() => session.current?.sendClipboard(clipboard)}
            >
              Send to desktop
            </button>
          </div>
        </div>
      )}
      {blankTooLong && !drawn && (
        <div className="viewer-hint" role="status">
          The desktop has not drawn anything yet.
        </div>
      )}
      {hint && (
        <div className="viewer-hint" role="status">
          {hint}
          <button
            type="button"
            className="btn btn-small btn-ghost"
            onClick={() => setHint(undefined)}
            aria-label="Dismiss"
          >
            ×
          </button>
        </div>
      )}
      <div className="viewer-box" ref={box}>
        <div
          className="viewer-host"
          ref={host}
          tabIndex={0}
          aria-label={readOnly ? 'Desktop (view only)' : 'Desktop: click to type'}
          data-phase={phase}
          data-drawn={drawn ? 'true' : 'false'}
          onFocus={pullClipboard}
          onKeyDownCapture={onKeyDownCapture}
        />
        {overlay && <div className="viewer-overlay">{overlay}</div>}
      </div>
    </div>
  );
}
