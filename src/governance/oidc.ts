import { createPublicKey, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { GitfleetError } from '../core/errors.js';

/** Why an ID token was refused; the message is safe to show to the caller. */
export class OidcError extends GitfleetError {
  constructor(message: string, options: { cause?: unknown; transient?: boolean } = {}) {
    super('oidc.Invalid', message, options);
  }
}

export interface OidcOptions {
  /** The issuer URL exactly as the tokens' `iss` says it. */
  issuer: string;
  /** The client ID tokens must be issued to (`aud`). */
  clientId: string;
  /** Claim holding the user's groups; default `groups`. */
  groupsClaim?: string;
  /**
   * Claim naming the user. Default: `email` when `email_verified` is true, else `sub` (the
   * issuer's own identifier). Set it (`preferred_username`, say) to use that claim and no other.
   */
  usernameClaim?: string;
  /** Clock skew tolerated on exp and nbf; default 60 s. */
  clockSkewSeconds?: number;
  /** Shortest time between two JWKS fetches caused by unknown key IDs; default 10 s. */
  minRefreshIntervalMs?: number;
  /** Time limit for each request to the issuer; default 5 s. */
  fetchTimeoutMs?: number;
  /** Current time in ms; injectable for tests. */
  now?: () => number;
}

/** The user an ID token names, shaped as the hub's Principal. */
export interface OidcUser {
  kind: 'user';
  /** The verified `email`, else `sub`; or the configured username claim. */
  name: string;
  groups: string[];
}

type Alg = 'RS256' | 'ES256';
const ALGS: Record<Alg, { type: 'rsa' | 'ec'; curve?: string }> = {
  RS256: { type: 'rsa' },
  ES256: { type: 'ec', curve: 'prime256v1' },
};

/**
 * Verifies OIDC ID tokens (JWT, RS256 or ES256) against the issuer's published keys: discovery
 * document → `jwks_uri` → keys cached by `kid`, fetched again when a token names a key we do not
 * have (the issuer rotated), at most once per `minRefreshIntervalMs` so junk tokens cannot make us
 * hammer the issuer. Checks iss, aud, exp and nbf. node:crypto only.
 */
export class OidcVerifier {
  readonly #o: Required<OidcOptions>;
  #keys = new Map<string, KeyObject>();
  #jwksUri: string | undefined;
  #lastRefresh = -Infinity;
  #refreshing: Promise<void> | undefined;

  constructor(opts: OidcOptions) {
    this.#o = {
      groupsClaim: 'groups',
      usernameClaim: '',
      clockSkewSeconds: 60,
      minRefreshIntervalMs: 10_000,
      fetchTimeoutMs: 5000,
      now: () => Date.now(),
      ...opts,
    };
  }

  /** The user of a valid token; throws OidcError naming the reason otherwise. */
  async verify(token: string): Promise<OidcUser> {
    const parts = token.split('.');
    if (parts.length !== 3) throw new OidcError('not a JWT: expected three dot-separated parts');
    const [h = '', p = '', s = ''] = parts;
    const header = decodeJson(h, 'header');
    const claims = decodeJson(p, 'payload');
    const alg = header.alg;
    if (typeof alg !== 'string' || !(alg in ALGS))
      throw new OidcError(
        `unsupported signing algorithm ${JSON.stringify(alg)}; RS256 and ES256 are accepted`,
      );
    if (header.crit !== undefined)
      throw new OidcError('tokens with critical header extensions are not accepted');
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const key = await this.#key(kid, alg as Alg);
    const spec = ALGS[alg as Alg];
    const ok = verifySignature(
      'sha256',
      Buffer.from(`${h}.${p}`),
      spec.type === 'ec' ? { key, dsaEncoding: 'ieee-p1363' } : key,
      Buffer.from(s, 'base64url'),
    );
    if (!ok) throw new OidcError('bad signature');
    this.#checkClaims(claims);
    return toUser(claims, this.#o.groupsClaim, this.#o.usernameClaim || undefined);
  }

  #checkClaims(c: Record<string, unknown>): void {
    const o = this.#o;
    if (c.iss !== o.issuer)
      throw new OidcError(`wrong issuer ${JSON.stringify(c.iss)}; expected ${o.issuer}`);
    const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
    if (!aud.includes(o.clientId))
      throw new OidcError(`wrong audience ${JSON.stringify(c.aud)}; expected ${o.clientId}`);
    const now = o.now() / 1000;
    if (typeof c.exp !== 'number') throw new OidcError('the token has no expiry (exp)');
    if (now > c.exp + o.clockSkewSeconds)
      throw new OidcError(`expired at ${new Date(c.exp * 1000).toISOString()}`);
    if (typeof c.nbf === 'number' && now + o.clockSkewSeconds < c.nbf)
      throw new OidcError(`not valid before ${new Date(c.nbf * 1000).toISOString()}`);
  }

  async #key(kid: string | undefined, alg: Alg): Promise<KeyObject> {
    let key = this.#find(kid, alg);
    if (!key && this.#o.now() - this.#lastRefresh >= this.#o.minRefreshIntervalMs) {
      // Concurrent requests with a new kid share one fetch.
      this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
      await this.#refreshing;
      key = this.#find(kid, alg);
    }
    if (!key) throw new OidcError(`unknown signing key ${kid ? `kid=${kid}` : '(no kid)'} for ${alg}`);
    const spec = ALGS[alg];
    if (
      key.asymmetricKeyType !== spec.type ||
      (spec.curve && key.asymmetricKeyDetails?.namedCurve !== spec.curve)
    )
      throw new OidcError(`key ${kid ?? ''} does not fit ${alg}`);
    return key;
  }

  #find(kid: string | undefined, alg: Alg): KeyObject | undefined {
    if (kid) return this.#keys.get(kid);
    // Without a kid, only an issuer with a single key of the right type is unambiguous.
    const fits = [...this.#keys.values()].filter((k) => k.asymmetricKeyType === ALGS[alg].type);
    return fits.length === 1 ? fits[0] : undefined;
  }

  async #refresh(): Promise<void> {
    this.#lastRefresh = this.#o.now();
    if (!this.#jwksUri) {
      const doc = await this.#getJson(
        `${this.#o.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
      );
      // OIDC Discovery: the document's issuer must be exactly the one we trust.
      if (doc.issuer !== this.#o.issuer)
        throw new OidcError(`discovery names issuer ${JSON.stringify(doc.issuer)}, not ${this.#o.issuer}`);
      if (typeof doc.jwks_uri !== 'string') throw new OidcError('discovery document has no jwks_uri');
      this.#jwksUri = doc.jwks_uri;
    }
    const jwks = await this.#getJson(this.#jwksUri);
    const keys = new Map<string, KeyObject>();
    for (const jwk of Array.isArray(jwks.keys) ? (jwks.keys as JsonWebKey[]) : []) {
      if (jwk.use === 'enc') continue;
      try {
        keys.set(
          typeof jwk.kid === 'string' ? jwk.kid : `#${keys.size}`,
          createPublicKey({ key: jwk, format: 'jwk' }),
        );
      } catch {
        // A key type we cannot use (e.g. OKP) must not hide the others.
      }
    }
    this.#keys = keys;
  }

  async #getJson(url: string): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.#o.fetchTimeoutMs) });
    } catch (e) {
      throw new OidcError(
        `cannot reach the issuer at ${url}: ${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
          transient: true,
        },
      );
    }
    if (!res.ok) throw new OidcError(`issuer answered ${res.status} for ${url}`, { transient: true });
    const body: unknown = await res.json();
    if (!body || typeof body !== 'object') throw new OidcError(`${url} did not return a JSON object`);
    return body as Record<string, unknown>;
  }
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new OidcError(`not a JWT: the ${what} is not base64url JSON`);
}

/** Whether the token vouches for its email: `email_verified` true (some issuers send "true"). */
const emailVerified = (claims: Record<string, unknown>): boolean =>
  claims.email_verified === true || claims.email_verified === 'true';

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * Maps claims to a user. The name comes from one claim, never guessed across claims: by default the
 * `email` when the issuer marks it verified, else `sub` — never `preferred_username`, which many
 * issuers let users choose and which OIDC says is not unique, so a user cannot name themselves
 * after someone else. An unverified email is not an identity. With `usernameClaim` set, that claim
 * and only that (`email` still needs `email_verified`). Groups come from the groups claim (a string
 * or a list), without any `gitfleet:` group; they stay groups (the RBAC subjects `group:<name>`),
 * whatever they are called.
 */
export function toUser(
  claims: Record<string, unknown>,
  groupsClaim = 'groups',
  usernameClaim?: string,
): OidcUser {
  let name: string | undefined;
  if (usernameClaim) {
    const v = claims[usernameClaim];
    if (usernameClaim === 'email' && nonEmpty(v) && !emailVerified(claims))
      throw new OidcError("the token's email is not verified (email_verified is not true)");
    if (!nonEmpty(v)) throw new OidcError(`the token has no ${usernameClaim} claim to name the user`);
    name = v;
  } else {
    name = nonEmpty(claims.email) && emailVerified(claims) ? claims.email : undefined;
    name ??= nonEmpty(claims.sub) ? claims.sub : undefined;
  }
  if (!name) throw new OidcError('the token names no user (a verified email or sub)');
  const g = claims[groupsClaim];
  const groups =
    typeof g === 'string' ? [g] : Array.isArray(g) ? g.filter((x): x is string => typeof x === 'string') : [];
  // `gitfleet:` groups (gitfleet:admins) are granted by gitfleet's own tokens only: an identity
  // provider that lets users name groups must not make anyone an admin.
  return { kind: 'user', name, groups: groups.filter((x) => x !== '' && !x.startsWith('gitfleet:')) };
}
