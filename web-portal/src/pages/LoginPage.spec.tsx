/** @jest-environment jsdom */
import { act, fireEvent, render, screen } from '@testing-library/react';
import { App } from '../App';

interface Answer {
  status: number;
  body?: unknown;
}

/** A fake broker: answers by "METHOD path", records what was asked. */
function fakeBroker(answers: Record<string, Answer>) {
  const calls: { key: string; body?: string; headers: Record<string, string> }[] = [];
  const fetchFake = jest.fn(async (url: string, init?: RequestInit) => {
    const key = `${init?.method ?? 'GET'} ${url}`;
    calls.push({
      key,
      body: init?.body as string | undefined,
      headers: (init?.headers ?? {}) as Record<string, string>,
    });
    const a = answers[key] ?? { status: 404, body: { statusCode: 404, message: 'Not Found' } };
    return {
      ok: a.status < 400,
      status: a.status,
      statusText: '',
      headers: { get: () => null },
      json: async () => a.body,
    } as unknown as Response;
  });
  (globalThis as { fetch: unknown }).fetch = fetchFake;
  return calls;
}

describe('sign in', () => {
  beforeEach(() => {
    document.cookie = 'forkdesk_csrf=tok';
    window.location.hash = '';
  });

  it('links field errors to their inputs and shows the broker error', async () => {
    const calls = fakeBroker({
      'GET /api/auth/me': { status: 401, body: { statusCode: 401, message: 'Unauthorized' } },
      'POST /api/auth/login': {
        status: 401,
        body: { statusCode: 401, message: 'Wrong username or password' },
      },
    });
    render(<App />);
    const user = await screen.findByLabelText('Username');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(user.getAttribute('aria-invalid')).toBe('true');
    const errId = user.getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(errId)?.textContent).toBe('Enter your username.');
    expect(calls.filter((c) => c.key.startsWith('POST'))).toHaveLength(0);

    fireEvent.change(user, { target: { value: 'ann' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'nope' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    });
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password.');
    const login = calls.find((c) => c.key === 'POST /api/auth/login');
    expect(JSON.parse(login?.body ?? '{}')).toEqual({ username: 'ann', password: 'nope' });
    expect(login?.headers['x-csrf-token']).toBe('tok');
  });

  it('shows the employee her desktops after signing in', async () => {
    fakeBroker({
      'GET /api/auth/me': { status: 401, body: { statusCode: 401, message: 'Unauthorized' } },
      'POST /api/auth/login': {
        status: 200,
        body: { user: { id: 'u1', username: 'ann', displayName: 'Ann Example', role: 'user' } },
      },
      'GET /api/my/pools': {
        status: 200,
        body: [
          {
            pool: { id: 'p1', name: 'Developer desktop', vcpus: 2, memoryMib: 2048 },
            desktop: { id: 'd1', state: 'forking', since: new Date().toISOString() },
          },
        ],
      },
    });
    render(<App />);
    fireEvent.change(await screen.findByLabelText('Username'), { target: { value: 'ann' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    });
    expect(await screen.findByRole('heading', { name: 'Developer desktop' })).toBeTruthy();
    expect(screen.getByText('starting')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Resume' })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Administration' })).toBeNull();
  });
});
