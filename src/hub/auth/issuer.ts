import { createHash, randomBytes } from 'node:crypto';
import { OidcError } from '../../governance/oidc.js';

/** What the hub needs of an issuer's discovery document for the authorization code flow. */
export interface IssuerEndpoints {
  authorization: string;
  token: string;
  /** Whether the token endpoint takes the client secret as HTTP Basic (else in the form). */
  basicAuth: boolean;
}

/** A random URL-safe value of `bytes` bytes: state, nonce, PKCE verifier, CSRF token, session id. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** The PKCE S256 challenge of a verifier (RFC 7636 §4.2). */
export const pkceChallenge = (verifier: string): string =>
  createHash('sha256').update(verifier).digest('base64url');

/**
 * Reads `<issuer>/.well-known/openid-configuration` once (and again after a failure): the
 * endpoints the browser is sent to and the code is exchanged at. The document's `issuer` must be
 * the configured one exactly, as OIDC Discovery requires, and it must offer S256 PKCE when it says
 * which methods it supports.
 */
export class IssuerClient {
  readonly #issuer: string;
  readonly #timeoutMs: number;
  #endpoints: Promise<IssuerEndpoints> | undefined;

  constructor(issuer: string, timeoutMs = 5000) {
    this.#issuer = issuer;
    this.#timeoutMs = timeoutMs;
  }

  endpoints(): Promise<IssuerEndpoints> {
    this.#endpoints ??= this.#discover().catch((e: unknown) => {
      this.#endpoints = undefined;
      throw e;
    });
    return this.#endpoints;
  }

  async #discover(): Promise<IssuerEndpoints> {
    const url = `${this.#issuer.replace(/\/+$/u, '')}/.well-known/openid-configuration`;
    const doc = await this.#json(url, { signal: AbortSignal.timeout(this.#timeoutMs) });
    if (doc.issuer !== this.#issuer)
      throw new OidcError(`discovery names issuer ${JSON.stringify(doc.issuer)}, not ${this.#issuer}`);
    const { authorization_endpoint: authorization, token_endpoint: token } = doc;
    if (typeof authorization !== 'string' || typeof token !== 'string')
      throw new OidcError(`${url} names no authorization_endpoint or token_endpoint`);
    const pkce = doc.code_challenge_methods_supported;
    if (Array.isArray(pkce) && !pkce.includes('S256'))
      throw new OidcError(`the issuer does not offer PKCE with S256 (code_challenge_methods_supported)`);
    const methods = doc.token_endpoint_auth_methods_supported;
    // OIDC Discovery: absent means client_secret_basic.
    const basicAuth = !Array.isArray(methods) || methods.includes('client_secret_basic');
    return { authorization, token, basicAuth };
  }

  /**
   * Exchanges an authorization code (with its PKCE verifier) for the ID token. The answer's other
   * tokens are dropped unread: the hub keeps only the identity.
   */
  async exchange(req: {
    code: string;
    verifier: string;
    redirectUri: string;
    clientId: string;
    clientSecret: string;
  }): Promise<string> {
    const ep = await this.endpoints();
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code: req.code,
      redirect_uri: req.redirectUri,
      code_verifier: req.verifier,
    });
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    };
    if (ep.basicAuth) {
      // RFC 6749 §2.3.1: both parts form-urlencoded before Basic.
      const enc = (s: string): string => encodeURIComponent(s).replace(/%20/gu, '+');
      headers.Authorization = `Basic ${Buffer.from(`${enc(req.clientId)}:${enc(req.clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', req.clientId);
      form.set('client_secret', req.clientSecret);
    }
    const body = await this.#json(ep.token, {
      method: 'POST',
      headers,
      body: form.toString(),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    if (typeof body.id_token !== 'string')
      throw new OidcError('the token endpoint answered without an id_token (is "openid" in the scopes?)');
    return body.id_token;
  }

  async #json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, redirect: 'error' });
    } catch (e) {
      throw new OidcError(
        `cannot reach the issuer at ${url}: ${e instanceof Error ? e.message : String(e)}`,
        {
          transient: true,
        },
      );
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      // OAuth errors are codes and descriptions meant to be shown; never echo anything else.
      const err = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
      const what = typeof err.error === 'string' ? `: ${err.error}` : '';
      const desc =
        typeof err.error_description === 'string' ? ` (${err.error_description.slice(0, 200)})` : '';
      throw new OidcError(`the issuer answered ${res.status} at ${url}${what}${desc}`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new OidcError(`${url} did not return a JSON object`);
    return body as Record<string, unknown>;
  }
}
