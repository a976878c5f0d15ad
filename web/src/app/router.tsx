import { useEffect, useState, type CSSProperties, type MouseEvent, type ReactNode } from 'react';

const NAVIGATE = 'gitfleet:navigate';

/** Moves to `path` without a reload; the hub serves index.html for every UI path. */
export function navigate(path: string): void {
  window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** The current path, updated on navigate() and on back/forward. */
export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = (): void => setPath(window.location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE, update);
    };
  }, []);
  return path;
}

/** A plain link that navigates in place (and still opens in a new tab with a modifier key). */
export function Link(props: {
  to: string;
  className?: string;
  title?: string;
  style?: CSSProperties;
  children: ReactNode;
}): ReactNode {
  const onClick = (e: MouseEvent<HTMLAnchorElement>): void => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={props.to} className={props.className} title={props.title} style={props.style} onClick={onClick}>
      {props.children}
    </a>
  );
}

export type Route =
  | { page: 'fleet' }
  | { page: 'application'; namespace: string; name: string }
  | { page: 'cluster'; name: string }
  | { page: 'rollouts' }
  | { page: 'rollout'; namespace: string; name: string }
  | { page: 'pipelines' }
  | { page: 'preview' }
  | { page: 'not-found' };

/** Maps a path to a page: `/`, `/apps/NS/NAME`, `/clusters/NAME`, `/rollouts`, `/rollouts/NS/NAME`. */
export function parseRoute(path: string): Route {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [head, a, b] = parts;
  if (!head) return { page: 'fleet' };
  if (head === 'apps' && a && b && parts.length === 3) return { page: 'application', namespace: a, name: b };
  if (head === 'clusters' && a && parts.length === 2) return { page: 'cluster', name: a };
  if (head === 'rollouts' && parts.length === 1) return { page: 'rollouts' };
  if (head === 'pipelines' && parts.length === 1) return { page: 'pipelines' };
  if (head === 'preview' && parts.length === 1) return { page: 'preview' };
  if (head === 'rollouts' && a && b && parts.length === 3) return { page: 'rollout', namespace: a, name: b };
  return { page: 'not-found' };
}

export const appPath = (ns: string, name: string): string =>
  `/apps/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
export const clusterPath = (name: string): string => `/clusters/${encodeURIComponent(name)}`;
export const rolloutPath = (ns: string, name: string): string =>
  `/rollouts/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
