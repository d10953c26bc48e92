import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads data on mount and on `reload()`, optionally every `refreshMs`; keeps showing the last
 * data while refreshing, and ignores answers that arrive after unmount or a newer request.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const run = useCallback(load, deps);

  const reload = useCallback(() => {
    const mine = ++seq.current;
    setLoading(true);
    run().then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setError(e);
        setLoading(false);
      },
    );
  }, [run]);

  useEffect(() => {
    reload();
    const timer = refreshMs ? setInterval(reload, refreshMs) : undefined;
    return () => {
      seq.current++;
      clearInterval(timer);
    };
  }, [reload, refreshMs]);

  return { data, error, loading, reload };
}
