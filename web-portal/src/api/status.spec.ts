import {
  connectable,
  employeeStatus,
  ended,
  openStep,
  preparingNote,
  sessionNote,
  since,
} from './status';

describe('desktop status for employees', () => {
  it('maps broker states to starting / ready / in use', () => {
    expect(employeeStatus('forking')).toBe('starting');
    expect(employeeStatus('ready')).toBe('ready');
    expect(employeeStatus('assigned')).toBe('ready');
    expect(employeeStatus('in_use')).toBe('in use');
    expect(employeeStatus('destroying')).toBe('ending');
    expect(employeeStatus('lost')).toBe('none');
    expect(employeeStatus(null)).toBe('none');
  });

  it('places the open progress on its step', () => {
    expect(openStep('requesting')).toBe(0);
    expect(openStep('desktop', 'reserving')).toBe(0);
    expect(openStep('desktop')).toBe(0);
    expect(openStep('desktop', 'personalizing')).toBe(1);
    expect(openStep('desktop', 'ready')).toBe(2);
    expect(openStep('connecting')).toBe(2);
    expect(openStep('shown')).toBe(3);
    expect(openStep('failed')).toBe(-1);
  });

  it('tells the card what the broker is preparing or holds', () => {
    expect(preparingNote(null)).toBeUndefined();
    expect(preparingNote({ step: 'reserving', heldUntil: null })).toMatch(/Reserving/);
    expect(preparingNote({ step: 'personalizing', heldUntil: 'x' })).toMatch(/Personalizing/);
    expect(preparingNote({ step: 'ready', heldUntil: 'x' })).toMatch(/Ready for you/);
    expect(preparingNote({ step: 'ready', heldUntil: null })).toBeUndefined();
  });

  it('knows which desktops can be connected and which are gone', () => {
    expect(connectable({ state: 'assigned', step: 'ready' })).toBe(true);
    // Assigned but its fork hook still running: not yet.
    expect(connectable({ state: 'assigned', step: 'personalizing' })).toBe(false);
    expect(connectable({ state: 'forking', step: 'reserving' })).toBe(false);
    expect(ended('lost')).toBe(true);
    expect(ended('in_use')).toBe(false);
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(since('2026-01-01T11:59:50Z', now)).toBe('just now');
    expect(since('2026-01-01T11:57:00Z', now)).toBe('3 min');
    expect(since('2026-01-01T09:55:00Z', now)).toBe('2 h 5 min');
    expect(since('2025-12-29T12:00:00Z', now)).toBe('3 d');
    expect(since('nope', now)).toBe('—');
  });
});

describe('session note', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('tells a disconnected or kept desktop apart from a live one', () => {
    expect(
      sessionNote({ sessionState: 'disconnected', disconnectedAt: '2026-11-25T11:50:00Z' }, now),
    ).toBe('Disconnected 10 min ago: open it to continue where you left off.');
    expect(sessionNote({ sessionState: 'logged_off' }, now)).toBe(
      'Kept for you: open it to continue.',
    );
    expect(sessionNote({ sessionState: 'connected' }, now)).toBeUndefined();
    expect(sessionNote(null, now)).toBeUndefined();
  });
});
