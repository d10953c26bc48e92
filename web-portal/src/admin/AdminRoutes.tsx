import type { Route } from '../router';
import { AgentsPage } from './AgentsPage';
import { AuditPage } from './AuditPage';
import { ImagesPage } from './ImagesPage';
import { OverviewPage } from './OverviewPage';
import { PoolsPage } from './PoolsPage';
import { SessionsPage } from './SessionsPage';
import { ShadowPage } from './ShadowPage';
import { UsersPage } from './UsersPage';

/** The admin pages, loaded as one chunk the first time an admin opens them. */
export default function AdminRoutes({ route }: { route: Route }) {
  switch (route.name) {
    case 'images':
      return <ImagesPage />;
    case 'pools':
      return <PoolsPage />;
    case 'sessions':
      return <SessionsPage />;
    case 'shadow':
      return <ShadowPage desktopId={route.id} />;
    case 'agents':
      return <AgentsPage />;
    case 'users':
      return <UsersPage />;
    case 'audit':
      return <AuditPage />;
    default:
      return <OverviewPage />;
  }
}
