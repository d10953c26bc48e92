import type { JSX } from 'react';
import type { Route } from '../router';
import { AgentsPage } from './AgentsPage';
import { AuditPage } from './AuditPage';
import { ImagesPage } from './ImagesPage';
import { OverviewPage } from './OverviewPage';
import { PoolsPage } from './PoolsPage';
import { SessionsPage } from './SessionsPage';
import { ShadowPage } from './ShadowPage';
import { UsersPage } from './UsersPage';

/** The admin pages by route name; any other admin route is the overview. */
const PAGES: Partial<Record<Route['name'], () => JSX.Element>> = {
  images: ImagesPage,
  pools: PoolsPage,
  sessions: SessionsPage,
  agents: AgentsPage,
  users: UsersPage,
  audit: AuditPage,
};

/** The admin pages, loaded as one chunk the first time an admin opens them. */
export default function AdminRoutes({ route }: { route: Route }) {
  if (route.name === 'shadow') return <ShadowPage desktopId={route.id} />;
  const Page = PAGES[route.name] ?? OverviewPage;
  return <Page />;
}
