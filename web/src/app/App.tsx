import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { authHeaders, HubClient } from '../api/client';
import { followEvents } from '../api/events';
import { UnreachableBanner } from '../components/UnreachableBanner';
import { ApplicationPage } from '../features/application/ApplicationPage';
import { ClusterPage } from '../features/cluster/ClusterPage';
import { FleetPage } from '../features/fleet/FleetPage';
import { LoginPage } from '../features/login/LoginPage';
import { PipelinesPage } from '../features/pipeline/PipelinesPage';
import { PreviewPage } from '../features/preview/PreviewPage';
import { RolloutPage } from '../features/rollout/RolloutPage';
import { RolloutsPage } from '../features/rollout/RolloutsPage';
import { HubContext, type AppListener, type Hub } from './hub-context';
import { Link, parseRoute, usePath } from './router';

/** sessionStorage: the token lives as long as the tab, never on disk across browser restarts. */
const TOKEN_KEY = 'gitfleet.token';

/**
 * The shell: login until a token is accepted or the hub's OIDC session cookie is (the cookie is
 * HttpOnly: only asking the hub tells whether there is one), then the pages with live updates.
 */
export function App(): ReactNode {
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY) ?? '');
  const [notice, setNotice] = useState('');
  /** Whether the browser holds a session cookie the hub accepts; undefined until asked. */
  const [cookieSession, setCookieSession] = useState<boolean | undefined>(token ? false : undefined);
  const [oidc, setOidc] = useState(false);
  useEffect(() => {
    fetch('/auth/info').then(
      (r) => setOidc(r.ok),
      () => undefined,
    );
    if (token) return;
    fetch('/api/v1/whoami').then(
      (r) => setCookieSession(r.ok),
      () => setCookieSession(false),
    );
    // Asked once per page load (signing in with OIDC reloads the page), not when the token changes.
  }, []);
  const signIn = useCallback((t: string): void => {
    sessionStorage.setItem(TOKEN_KEY, t);
    setNotice('');
    setToken(t);
  }, []);
  // Stable, so the session's event stream is not restarted by a re-render of the shell.
  const signOut = useCallback((why: string): void => {
    sessionStorage.removeItem(TOKEN_KEY);
    setNotice(why);
    setToken('');
    setCookieSession((had) => {
      // The hub forgets the session; the cookie alone would otherwise outlive the page.
      if (had)
        void fetch('/auth/logout', { method: 'POST', headers: authHeaders('', 'POST') }).catch(
          () => undefined,
        );
      return false;
    });
  }, []);
  if (token) return <Session token={token} onSignOut={signOut} />;
  if (cookieSession === undefined) return null;
  if (cookieSession) return <Session token="" onSignOut={signOut} />;
  return <LoginPage onSignedIn={signIn} notice={notice} oidc={oidc} />;
}

function Session(props: { token: string; onSignOut: (why: string) => void }): ReactNode {
  const [reachable, setReachable] = useState(true);
  const [live, setLive] = useState(false);
  const listeners = useRef(new Set<AppListener>());
  const { onSignOut, token } = props;
  const client = useMemo(() => new HubClient(token, setReachable), [token]);

  useEffect(() => {
    const ac = new AbortController();
    void followEvents(
      token,
      {
        onApplication: (a, deleted) => {
          for (const l of listeners.current) l(a, deleted);
        },
        onConnection: (open) => {
          setLive(open);
          setReachable(open);
        },
        onUnauthorized: () =>
          onSignOut(
            token
              ? 'The hub no longer accepts this token: sign in again.'
              : 'Your session ended: sign in again.',
          ),
      },
      ac.signal,
    );
    return () => ac.abort();
  }, [token, onSignOut]);

  const hub: Hub = useMemo(
    () => ({
      client,
      live,
      subscribe: (fn) => {
        listeners.current.add(fn);
        return () => listeners.current.delete(fn);
      },
    }),
    [client, live],
  );
  const [me, setMe] = useState('');
  useEffect(() => {
    client.get<{ name: string }>('/api/v1/whoami').then(
      (w) => setMe(w.name),
      () => undefined,
    );
  }, [client]);
  const path = usePath();
  const route = parseRoute(path);

  return (
    <HubContext.Provider value={hub}>
      <header className="topbar">
        <Link to="/" className="brand">
          gitfleet
        </Link>
        <nav>
          <Link to="/" className={route.page === 'fleet' ? 'active' : ''}>
            Fleet
          </Link>
          <Link to="/rollouts" className={route.page.startsWith('rollout') ? 'active' : ''}>
            Roll-outs
          </Link>
          <Link to="/pipelines" className={route.page === 'pipelines' ? 'active' : ''}>
            Pipelines
          </Link>
          <Link to="/preview" className={route.page === 'preview' ? 'active' : ''}>
            Preview
          </Link>
        </nav>
        <span className={`live ${live ? 'on' : 'off'}`} title="live updates from the hub">
          {live ? '● live' : '○ offline'}
        </span>
        {me && (
          <span className="me" data-testid="whoami">
            {me}
          </span>
        )}
        <button className="link" data-testid="sign-out" onClick={() => onSignOut('Signed out.')}>
          Sign out
        </button>
      </header>
      {!reachable && <UnreachableBanner />}
      <main>
        {route.page === 'fleet' && <FleetPage />}
        {route.page === 'application' && (
          <ApplicationPage
            key={`${route.namespace}/${route.name}`}
            namespace={route.namespace}
            name={route.name}
          />
        )}
        {route.page === 'cluster' && <ClusterPage key={route.name} name={route.name} />}
        {route.page === 'rollouts' && <RolloutsPage />}
        {route.page === 'pipelines' && <PipelinesPage />}
        {route.page === 'preview' && <PreviewPage />}
        {route.page === 'rollout' && (
          <RolloutPage
            key={`${route.namespace}/${route.name}`}
            namespace={route.namespace}
            name={route.name}
          />
        )}
        {route.page === 'not-found' && <p className="empty">Nothing lives at {path}.</p>}
      </main>
    </HubContext.Provider>
  );
}
