import type { ReactNode } from 'react';
import { useAuth } from '../auth';
import { href, type Route } from '../router';

const ADMIN_NAV: { route: Route; label: string }[] = [
  { route: { name: 'admin' }, label: 'Overview' },
  { route: { name: 'sessions' }, label: 'Sessions' },
  { route: { name: 'pools' }, label: 'Pools' },
  { route: { name: 'images' }, label: 'Images' },
  { route: { name: 'agents' }, label: 'Agents' },
  { route: { name: 'users' }, label: 'Users & groups' },
  { route: { name: 'audit' }, label: 'Audit log' },
];

const isAdminRoute = (r: Route): boolean =>
  !['desktops', 'desktop', 'password', 'notfound'].includes(r.name);

export function Logo() {
  return (
    <span className="logo">
      <svg viewBox="0 0 16 16" width="22" height="22" aria-hidden="true">
        <rect width="16" height="16" rx="3" fill="currentColor" />
        <path d="M4 4h8v2H6v2h5v2H6v2H4z" fill="white" />
      </svg>
      Forkdesk
    </span>
  );
}

export function Layout({ route, children }: { route: Route; children: ReactNode }) {
  const { user, signOut } = useAuth();
  const admin = user?.role === 'admin';
  const inAdmin = isAdminRoute(route);
  const current = (r: Route): 'page' | undefined => (r.name === route.name ? 'page' : undefined);
  return (
    <div className="app">
      <header className="topbar">
        <a href="#/" className="brand">
          <Logo />
        </a>
        <nav aria-label="Main" className="mainnav">
          <a href="#/" aria-current={route.name === 'desktops' ? 'page' : undefined}>
            My desktops
          </a>
          {admin && (
            <a href="#/admin" aria-current={inAdmin ? 'page' : undefined}>
              Administration
            </a>
          )}
        </nav>
        <div className="usermenu">
          <span className="who" title={user?.username}>
            {user?.displayName || user?.username}
          </span>
          <a href="#/password" className="btn btn-small btn-ghost">
            Change password
          </a>
          <button type="button" className="btn btn-small" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {inAdmin ? (
        <div className="admin">
          <nav aria-label="Administration" className="sidenav">
            {ADMIN_NAV.map((n) => (
              <a key={n.label} href={href(n.route)} aria-current={current(n.route)}>
                {n.label}
              </a>
            ))}
          </nav>
          <main className="content">{children}</main>
        </div>
      ) : (
        <main className="content narrow">{children}</main>
      )}
    </div>
  );
}
