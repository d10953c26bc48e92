import { api, ApiError, csrfToken } from './http';

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('portal http client', () => {
  it('reads the CSRF cookie', () => {
    expect(csrfToken('a=1; forkdesk_csrf=t%2Bk; b=2')).toBe('t+k');
    expect(csrfToken('a=1')).toBeUndefined();
  });

  it('sends JSON with the CSRF header on state changes only', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const deps = {
      fetch: async (url: string, init?: RequestInit) => {
        calls.push({ url, init });
        return json(200, { ok: true });
      },
      cookie: () => 'forkdesk_csrf=abc',
    };
    await api('/desktops', {}, deps);
    await api('/desktops', { method: 'POST', body: { poolId: 'p' } }, deps);
    expect(calls[0].url).toBe('/api/desktops');
    expect(calls[0].init?.headers).not.toHaveProperty('x-csrf-token');
    expect(calls[1].init?.headers).toMatchObject({
      'x-csrf-token': 'abc',
      'content-type': 'application/json',
    });
    expect(calls[1].init?.body).toBe('{"poolId":"p"}');
  });

  it('turns broker errors into readable ApiErrors', async () => {
    const deps = (res: Response) => ({ fetch: async () => res, cookie: () => '' });
    await expect(
      api('/x', {}, deps(json(503, { message: 'no capacity, retry in 5 s' }))),
    ).rejects.toEqual(new ApiError(503, 'no capacity, retry in 5 s'));
    const err = await api(
      '/x',
      {},
      deps(json(400, { message: ['name must be a string', 'max must be positive'] })),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).fields).toEqual(['name must be a string', 'max must be positive']);
    expect((err as ApiError).message).toBe('name must be a string; max must be positive');
    await expect(
      api('/x', {}, deps(new Response('oops', { status: 502, statusText: 'Bad Gateway' }))),
    ).rejects.toThrow('Bad Gateway');
  });
});
