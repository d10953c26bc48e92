import { href, parseRoute, type Route } from './router';

describe('hash routes', () => {
  it('parses every page', () => {
    expect(parseRoute('')).toEqual({ name: 'desktops' });
    expect(parseRoute('#/')).toEqual({ name: 'desktops' });
    expect(parseRoute('#/desktop/abc')).toEqual({ name: 'desktop', id: 'abc' });
    expect(parseRoute('#/password')).toEqual({ name: 'password' });
    expect(parseRoute('#/admin')).toEqual({ name: 'admin' });
    expect(parseRoute('#/admin/pools/')).toEqual({ name: 'pools' });
    expect(parseRoute('#/admin/sessions/d%201/shadow')).toEqual({ name: 'shadow', id: 'd 1' });
    expect(parseRoute('#/admin/nope')).toEqual({ name: 'notfound', path: '/admin/nope' });
  });

  it('round-trips links', () => {
    const routes: Route[] = [
      { name: 'desktops' },
      { name: 'desktop', id: 'x/y' },
      { name: 'audit' },
      { name: 'shadow', id: 'q' },
      { name: 'admin' },
    ];
    for (const r of routes) expect(parseRoute(href(r))).toEqual(r);
  });
});
