/** Who is signed in, for the whole app; a 401 from any call signs the page out. */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { auth } from './api/client';
import { onApiError } from './api/http';
import type { SessionUser } from '@forkdesk/broker-contract';

interface AuthState {
  user: SessionUser | null;
  /** Set when the session ended underneath us (shown on the sign-in page). */
  expired: boolean;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}

export function AuthProvider({
  children,
  loading,
}: {
  children: (user: SessionUser | null) => ReactNode;
  loading: ReactNode;
}) {
  const [user, setUser] = useState<SessionUser | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    onApiError((err, path) => {
      if (err.status === 401 && !path.startsWith('/auth/')) {
        setUser(null);
        setExpired(true);
      }
    });
    auth.me().then(
      (r) => setUser(r.user),
      // Not signed in (or the broker is down): the sign-in page says which when used.
      () => setUser(null),
    );
    return () => onApiError(undefined);
  }, []);

  const signIn = useCallback(async (username: string, password: string) => {
    const r = await auth.login(username, password);
    setExpired(false);
    setUser(r.user);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await auth.logout();
    } finally {
      setUser(null);
      window.location.hash = '#/';
    }
  }, []);

  const value = useMemo(
    () => ({ user: user ?? null, expired, signIn, signOut }),
    [user, expired, signIn, signOut],
  );
  if (user === undefined) return <>{loading}</>;
  return <AuthContext.Provider value={value}>{children(user)}</AuthContext.Provider>;
}
