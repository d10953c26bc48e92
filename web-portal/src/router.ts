/** Hash routes (`#/admin/pools`): the broker serves one index.html, so deep links need no server rules. */
import { useEffect, useState } from 'react';

export type Route =
  | { name: 'desktops' }
  | { name: 'desktop'; id: string }
  | { name: 'password' }
  | { name: 'admin' }
  | { name: 'images' }
  | { name: 'pools' }
  | { name: 'sessions' }
  | { name: 'shadow'; id: string }
  | { name: 'agents' }
  | { name: 'users' }
  | { name: 'audit' }
  | { name: 'notfound'; path: string };

const ADMIN_PAGES = ['images', 'pools', 'sessions', 'agents', 'users', 'audit'] as const;

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: 'desktops' };
  if (parts[0] === 'desktop' && parts.length === 2) return { name: 'desktop', id: parts[1] };
  if (parts[0] === 'password' && parts.length === 1) return { name: 'password' };
  if (parts[0] === 'admin') {
    if (parts.length === 1) return { name: 'admin' };
    const page = ADMIN_PAGES.find((p) => p === parts[1]);
    if (page && parts.length === 2) return { name: page };
    if (parts[1] === 'sessions' && parts[3] === 'shadow' && parts.length === 4)
      return { name: 'shadow', id: parts[2] };
  }
  return { name: 'notfound', path };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'desktops':
      return '#/';
    case 'desktop':
      return `#/desktop/${encodeURIComponent(route.id)}`;
    case 'password':
      return '#/password';
    case 'admin':
      return '#/admin';
    case 'shadow':
      return `#/admin/sessions/${encodeURIComponent(route.id)}/shadow`;
    case 'notfound':
      return `#${route.path}`;
    default:
      return `#/admin/${route.name}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
