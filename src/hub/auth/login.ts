import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { OidcError, OidcVerifier } from '../../governance/oidc.js';
import type { Principal } from '../principal.js';
import { IssuerClient, pkceChallenge, randomToken } from './issuer.js';
import { Sealer } from './seal.js';

/** The session cookie: sealed, HttpOnly, so page scripts never hold the identity. */
export const SESSION_COOKIE = 'gitfleet_session';
/** The double-submit CSRF token, readable by the UI so it can echo it in CSRF_HEADER. */
export const CSRF_COOKIE = 'gitfleet_csrf';
/** One sign-in attempt (state, nonce, PKCE verifier), only sent back to /auth. */
export const LOGIN_COOKIE = 'gitfleet_login';
export const CSRF_HEADER = 'X-Gitfleet-CSRF';

export interface BrowserLoginOptions {
  /** The issuer URL exactly as its ID tokens' `iss` says it. */
  issuer: string;
  clientId: string;
  /** Read from a file or Secret by the caller; never logged, never sent anywhere but the token endpoint. */
  clientSecret: string;
  /** This hub's callback as registered at the issuer: `https://gitfleet.example.com/auth/callback`. */
  redirectUrl: string;
  /** Default `openid profile email groups`. */
  scopes?: string[];
  groupsClaim?: string;
  usernameClaim?: string;
  /** How long a session lasts; default 12 hours. */
  sessionTtlSeconds?: number;
  /** 32 bytes that seal the cookies; replicas sharing it share sessions (see `sessionKeyFrom`). */
  key: Buffer;
  /** Marks cookies Secure: default when the redirect URL is https. */
  secureCookies?: boolean;
  now?: () => number;
}

/** How long a started sign-in may take at the issuer. */
const LOGIN_TTL_SECONDS = 600;

interface LoginAttempt {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  exp: number;
}

interface Session {
  sid: string;
  name: string;
  groups: string[];
  csrf: string;
  exp: number;
}

/** Why a sign-in step was refused; `status` is the HTTP answer, the message is safe to show. */
export class LoginError extends Error {
  readonly status: 400 | 401 | 502;
  constructor(status: 400 | 401 | 502, message: string) {
    super(message);
    this.status = status;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Browser sign-in with OIDC (authorization code + PKCE S256, state and nonce) and the sessions it
 * opens. State lives in sealed cookies, so any replica sharing the key can finish a sign-in or read
 * a session; what must be remembered server-side — a sign-in attempt already used, a session
 * signed out before its expiry — is kept in this process.
 */
export class BrowserLogin {
  readonly secure: boolean;
  readonly #o: BrowserLoginOptions & { scopes: string[]; sessionTtlSeconds: number; now: () => number };
  readonly #seal: Sealer;
  readonly #issuer: IssuerClient;
  readonly #verifier: OidcVerifier;
  /** Attempt states already used once → when they expire anyway: a replayed callback is refused. */
  readonly #usedStates = new Map<string, number>();
  /** Session ids signed out → their expiry. */
  readonly #revoked = new Map<string, number>();

  constructor(opts: BrowserLoginOptions) {
    if (!opts.clientSecret) throw new Error('OIDC sign-in needs a client secret');
    const u = new URL(opts.redirectUrl);
    if (!u.pathname.endsWith('/auth/callback'))
      throw new Error(`the OIDC redirect URL ${opts.redirectUrl} must end with /auth/callback`);
    this.#o = {
      scopes: ['openid', 'profile', 'email', 'groups'],
      sessionTtlSeconds: 12 * 3600,
      now: () => Date.now(),
      ...opts,
    };
    this.secure = opts.secureCookies ?? u.protocol === 'https:';
    this.#seal = new Sealer(opts.key);
    this.#issuer = new IssuerClient(opts.issuer);
    this.#verifier = new OidcVerifier({
      issuer: opts.issuer,
      clientId: opts.clientId,
      ...(opts.groupsClaim ? { groupsClaim: opts.groupsClaim } : {}),
      ...(opts.usernameClaim ? { usernameClaim: opts.usernameClaim } : {}),
      now: this.#o.now,
    });
  }

  get sessionTtlSeconds(): number {
    return this.#o.sessionTtlSeconds;
  }

  #nowS(): number {
    return Math.floor(this.#o.now() / 1000);
  }

  /** Starts a sign-in: the issuer URL to send the browser to and the sealed attempt for LOGIN_COOKIE. */
  async start(returnTo: string | undefined): Promise<{ location: string; attempt: string }> {
    const ep = await this.#issuer.endpoints();
    const a: LoginAttempt = {
      state: randomToken(),
      nonce: randomToken(),
      verifier: randomToken(48),
      returnTo: localPath(returnTo),
      exp: this.#nowS() + LOGIN_TTL_SECONDS,
    };
    const url = new URL(ep.authorization);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.#o.clientId);
    url.searchParams.set('redirect_uri', this.#o.redirectUrl);
    url.searchParams.set('scope', this.#o.scopes.join(' '));
    url.searchParams.set('state', a.state);
    url.searchParams.set('nonce', a.nonce);
    url.searchParams.set('code_challenge', pkceChallenge(a.verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return { location: url.toString(), attempt: this.#seal.seal(LOGIN_COOKIE, a) };
  }

  /**
   * Finishes a sign-in from the callback's query and the attempt cookie: the state must be the
   * attempt's and unused, the code is exchanged with the PKCE verifier, and the ID token must be
   * signed by the issuer's key, for this client, unexpired and carry the attempt's nonce.
   */
  async finish(
    query: { code?: string; state?: string; error?: string },
    attemptCookie: string | undefined,
  ): Promise<{ session: string; csrf: string; returnTo: string; user: Principal }> {
    if (query.error)
      throw new LoginError(401, `the issuer refused the sign-in: ${query.error.slice(0, 100)}`);
    const a = this.#seal.open(LOGIN_COOKIE, attemptCookie) as LoginAttempt | undefined;
    const now = this.#nowS();
    if (!a || typeof a.state !== 'string' || a.exp < now)
      throw new LoginError(
        400,
        'no sign-in is in progress in this browser (or it took over 10 minutes): start again',
      );
    if (!query.state || !sameString(query.state, a.state))
      throw new LoginError(400, "the state does not match this browser's sign-in: start again");
    if (!query.code) throw new LoginError(400, 'the callback carries no code');
    this.#prune(this.#usedStates, now);
    if (this.#usedStates.has(a.state))
      throw new LoginError(400, 'this sign-in was already completed: start again');
    this.#usedStates.set(a.state, a.exp);
    let idToken: string;
    try {
      idToken = await this.#issuer.exchange({
        code: query.code,
        verifier: a.verifier,
        redirectUri: this.#o.redirectUrl,
        clientId: this.#o.clientId,
        clientSecret: this.#o.clientSecret,
      });
    } catch (e) {
      throw new LoginError(e instanceof OidcError && e.transient ? 502 : 401, errorText(e));
    }
    let user;
    try {
      user = await this.#verifier.verify(idToken);
    } catch (e) {
      throw new LoginError(401, `the ID token was refused: ${errorText(e)}`);
    }
    // The signature was verified above, so the payload read here is the issuer's.
    const claims = JSON.parse(
      Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    if (typeof claims.nonce !== 'string' || !sameString(claims.nonce, a.nonce))
      throw new LoginError(401, "the ID token does not carry this sign-in's nonce");
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== this.#o.clientId)
      throw new LoginError(401, 'the ID token was issued to another client (azp)');
    const s: Session = {
      sid: randomToken(18),
      name: user.name,
      groups: user.groups,
      csrf: randomToken(),
      exp: now + this.#o.sessionTtlSeconds,
    };
    const session = this.#seal.seal(SESSION_COOKIE, s);
    // Browsers drop cookies over 4 KiB silently: refuse here, where the reason can be said.
    if (session.length > 3800)
      throw new LoginError(401, `the user's ${user.groups.length} groups do not fit in a session cookie`);
    return {
      session,
      csrf: s.csrf,
      returnTo: a.returnTo,
      user: { kind: 'user', name: s.name, groups: s.groups },
    };
  }

  /** The valid, unexpired, not signed-out session of a cookie value. */
  #session(cookie: string | undefined): Session | undefined {
    const s = this.#seal.open(SESSION_COOKIE, cookie) as Session | undefined;
    if (!s || typeof s.sid !== 'string' || typeof s.name !== 'string' || !Array.isArray(s.groups))
      return undefined;
    if (typeof s.exp !== 'number' || s.exp <= this.#nowS() || this.#revoked.has(s.sid)) return undefined;
    return s;
  }

  /**
   * The Principal of a request's session cookie, or undefined without a valid one. A request that
   * changes state must echo the session's CSRF token in CSRF_HEADER: another site can make the
   * browser send the cookie, never read the token. Throws LoginError(403-ish) via `csrfRefused`.
   */
  authenticate(c: Context): { principal: Principal } | { csrfRefused: true } | undefined {
    const s = this.#session(cookieOf(c, SESSION_COOKIE));
    if (!s) return undefined;
    if (UNSAFE.has(c.req.method) && !sameString(c.req.header(CSRF_HEADER) ?? '', s.csrf))
      return { csrfRefused: true };
    return { principal: { kind: 'user', name: s.name, groups: s.groups } };
  }

  /** Ends the request's session for good (this replica), whatever its expiry; the name signed out. */
  signOut(c: Context): { name: string } | { csrfRefused: true } | undefined {
    const s = this.#session(cookieOf(c, SESSION_COOKIE));
    if (!s) return undefined;
    if (!sameString(c.req.header(CSRF_HEADER) ?? '', s.csrf)) return { csrfRefused: true };
    this.#prune(this.#revoked, this.#nowS());
    this.#revoked.set(s.sid, s.exp);
    return { name: s.name };
  }

  #prune(m: Map<string, number>, now: number): void {
    for (const [k, exp] of m) if (exp < now) m.delete(k);
  }
}

function cookieOf(c: Context, name: string): string | undefined {
  const header = c.req.header('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Only a path of this hub is a place to return to: never another host (`//evil`, `/\evil`). */
export function localPath(p: string | undefined): string {
  if (!p || !p.startsWith('/') || p.startsWith('//') || p.startsWith('/\\') || /[\r\n]/u.test(p)) return '/';
  return p.length > 1000 ? '/' : p;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
