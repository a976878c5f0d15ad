import { useCallback, useEffect, useRef, useState } from 'react';
import { HubError } from '../api/client';
import { useHub } from './hub-context';

export interface Resource<T> {
  data: T | undefined;
  error: HubError | undefined;
  loading: boolean;
  reload(): void;
}

/**
 * GETs `path` and keeps the last good answer while reloading, so live updates never blank a
 * page. A failed reload keeps the old data and reports the error beside it.
 */
export function useResource<T>(path: string): Resource<T> {
  const { client } = useHub();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<HubError>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const ac = new AbortController();
    setLoading(true);
    client
      .get<T>(path, ac.signal)
      .then((d) => {
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (ac.signal.aborted) return;
        setError(e instanceof HubError ? e : new HubError('http', 0, String(e)));
      })
      .finally(() => {
        if (!ac.signal.aborted) setLoading(false);
      });
    return () => ac.abort();
  }, [client, path, tick]);

  // A different path starts from nothing: another page's data must not show under this one.
  useEffect(() => {
    setData(undefined);
    setError(undefined);
  }, [path]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** Calls `fn` at most once per `ms`, at the end of a burst (live events come in bursts). */
export function useDebounced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  }, [ms]);
}
