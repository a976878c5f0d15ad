import { useCallback, useEffect, useRef, useState } from 'react';
import { HubError } from '../api/client';
import { useHub } from './hub-context';

/** Wait before a failed load is tried again (hub down, API server busy). */
const RETRY_MS = 3000;

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
    let retry: ReturnType<typeof setTimeout> | undefined;
    setLoading(true);
    client
      .get<T>(path, ac.signal)
      .then((d) => {
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (ac.signal.aborted) return;
        const err = e instanceof HubError ? e : new HubError('http', 0, String(e));
        setError(err);
        // A hub that is down or whose API server is busy will answer again: try later by
        // itself. 4xx answers (forbidden, not found) stay until something changes.
        if (err.kind === 'unreachable' || err.status >= 500)
          retry = setTimeout(() => setTick((t) => t + 1), RETRY_MS);
      })
      .finally(() => {
        if (!ac.signal.aborted) setLoading(false);
      });
    return () => {
      ac.abort();
      clearTimeout(retry);
    };
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
