import { useState, type FormEvent, type ReactNode } from 'react';
import { HubClient, HubError } from '../../api/client';

/**
 * Offers single sign-on when the hub has an OIDC issuer (a plain link: the hub sends the browser
 * to the issuer and back, and sets its session cookie), and asks for an API token otherwise or
 * besides, checking it against the hub before keeping it.
 */
export function LoginPage(props: {
  onSignedIn: (token: string) => void;
  notice: string;
  oidc?: boolean;
}): ReactNode {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return;
    setBusy(true);
    setError('');
    try {
      // whoami only authenticates. Only 401 says the token is wrong: a 403 or a 5xx comes after
      // authentication succeeded, and the pages report those themselves.
      await new HubClient(t).get('/api/v1/whoami');
      props.onSignedIn(t);
    } catch (err) {
      if (err instanceof HubError && err.kind === 'unauthorized') setError('The hub refused this token.');
      else if (err instanceof HubError && err.kind === 'unreachable') setError('The hub is unreachable.');
      else props.onSignedIn(t);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <form onSubmit={(e) => void submit(e)}>
        <h1>gitfleet</h1>
        {props.notice && <p className="notice">{props.notice}</p>}
        {props.oidc && (
          <p>
            <a
              className="button primary"
              data-testid="oidc-signin"
              href={`/auth/login?return=${encodeURIComponent(location.pathname)}`}
            >
              Sign in
            </a>
          </p>
        )}
        <p className="muted">
          {props.oidc ? 'Or sign in' : 'Sign in'} with an API token of this hub (GITFLEET_API_TOKENS).
        </p>
        <label htmlFor="token">Token</label>
        <input
          id="token"
          type="password"
          autoComplete="current-password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
        />
        {error && (
          <p className="form-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy || !token.trim()}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
