import { lazy, Suspense } from 'react';
import { AuthProvider, useAuth } from './auth';
import { Layout } from './components/Layout';
import { Spinner } from './components/Spinner';
import { LoginPage } from './pages/LoginPage';
import { MyDesktopsPage } from './pages/MyDesktopsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PasswordPage } from './pages/PasswordPage';
import { useRoute, type Route } from './router';

// The viewer (guacamole-common-js) and the admin pages load on first use: sign-in stays small.
const DesktopPage = lazy(() => import('./pages/DesktopPage'));
const AdminRoutes = lazy(() => import('./admin/AdminRoutes'));

function Page({ route }: { route: Route }) {
  const { user } = useAuth();
  switch (route.name) {
    case 'desktops':
      return <MyDesktopsPage />;
    case 'desktop':
      return <DesktopPage id={route.id} />;
    case 'password':
      return <PasswordPage />;
    case 'notfound':
      return <NotFoundPage />;
    default:
      return user?.role === 'admin' ? <AdminRoutes route={route} /> : <NotFoundPage />;
  }
}

function Routed() {
  const route = useRoute();
  // The desktop takes the whole tab; everything else sits in the app frame.
  const full = route.name === 'desktop' || route.name === 'shadow';
  const page = (
    <Suspense fallback={<Spinner />}>
      <Page route={route} />
    </Suspense>
  );
  return full ? page : <Layout route={route}>{page}</Layout>;
}

export function App() {
  return (
    <AuthProvider loading={<Spinner label="Starting Forkdesk…" />}>
      {(user) => (user ? <Routed /> : <LoginPage />)}
    </AuthProvider>
  );
}
