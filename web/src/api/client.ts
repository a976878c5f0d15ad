/** Why a hub request failed, in the three ways the UI treats differently. */
export type HubErrorKind = 'unauthorized' | 'unreachable' | 'http';

export class HubError extends Error {
  readonly kind: HubErrorKind;
  readonly status: number;

  constructor(kind: HubErrorKind, status: number, message: string) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

/** Tells the app whether the hub answered the last request; drives the unreachable banner. */
export type ReachabilityListener = (reachable: boolean) => void;

/** The header and cookie of the hub's CSRF defence for cookie sessions (src/hub/auth). */
export const CSRF_HEADER = 'X-Gitfleet-CSRF';
const CSRF_COOKIE = 'gitfleet_csrf';

/** The session's CSRF token, which the hub sets readable for this page only. */
export function csrfToken(): string {
  const m = document.cookie.match(new RegExp(`(?:^|;\\s*)${CSRF_COOKIE}=([^;]*)`));
  return m?.[1] ?? '';
}

/**
 * Authentication of a request: the bearer token, or with none (an OIDC session, whose cookie the
 * browser sends by itself) the CSRF token on requests that change something.
 */
export function authHeaders(token: string, method: string): Record<string, string> {
  if (token) return { Authorization: `Bearer ${token}` };
  return method === 'GET' || method === 'HEAD' ? {} : { [CSRF_HEADER]: csrfToken() };
}

/**
 * The hub API over fetch with the bearer token, or the session cookie when the token is ''. A network failure or a gateway error (the hub
 * process is gone) is `unreachable`; 401 is `unauthorized`; any other non-2xx is `http` with the
 * hub's own message, which is written for people (403 reasons, 409 refusals).
 */
export class HubClient {
  readonly token: string;
  readonly #onReachability: ReachabilityListener;

  constructor(token: string, onReachability: ReachabilityListener = () => undefined) {
    this.token = token;
    this.#onReachability = onReachability;
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.#send<T>('GET', path, undefined, signal);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.#send<T>('POST', path, body);
  }

  async #send<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: {
          ...authHeaders(this.token, method),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      this.#onReachability(false);
      throw new HubError('unreachable', 0, 'the hub is unreachable');
    }
    if (res.status === 502 || res.status === 504) {
      this.#onReachability(false);
      throw new HubError('unreachable', res.status, 'the hub is unreachable');
    }
    this.#onReachability(true);
    const text = await res.text();
    const json: unknown = text ? safeJson(text) : undefined;
    if (res.status === 401) throw new HubError('unauthorized', 401, errorText(json) ?? 'token refused');
    if (!res.ok) throw new HubError('http', res.status, errorText(json) ?? `HTTP ${res.status}`);
    return json as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorText(json: unknown): string | undefined {
  if (json && typeof json === 'object' && 'error' in json && typeof json.error === 'string')
    return json.error;
  return undefined;
}

/** Path segment escaping for namespaces and names in API paths. */
export const seg = (s: string): string => encodeURIComponent(s);
