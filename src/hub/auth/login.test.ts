import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerError } from '../http-errors.js';
import { BrowserLogin, CSRF_HEADER, localPath, SESSION_COOKIE } from './login.js';
import { authRoutes } from './routes.js';
import { Sealer } from './seal.js';

/**
 * A small issuer on loopback: discovery, JWKS, and a token endpoint that checks the client secret
 * and the PKCE verifier against the challenge its authorize step saw, and honours each code once.
 * The real issuer (Gitea) is driven end to end in test/e2e/oidc-login.e2e.test.ts.
 */
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
let issuer = '';
let server: Server;
const codes = new Map<string, { challenge: string; nonce: string; claims: Record<string, unknown> }>();
let nextClaims: Record<string, unknown> = {};

function idToken(claims: Record<string, unknown>): string {
  const h = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1', typ: 'JWT' })).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${h}.${p}.${sign('sha256', Buffer.from(`${h}.${p}`), privateKey).toString('base64url')}`;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration')
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        code_challenge_methods_supported: ['S256'],
      });
    if (url.pathname === '/jwks')
      return json(200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' }] });
    if (url.pathname === '/token') {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const f = new URLSearchParams(body);
        if (req.headers.authorization !== `Basic ${Buffer.from('gitfleet:s3cret').toString('base64')}`)
          return json(401, { error: 'invalid_client' });
        const c = codes.get(f.get('code') ?? '');
        codes.delete(f.get('code') ?? '');
        if (!c) return json(400, { error: 'invalid_grant' });
        const verifier = f.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== c.challenge)
          return json(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
        json(200, { access_token: 'at', id_token: idToken({ nonce: c.nonce, ...c.claims }) });
      });
      return;
    }
    json(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const now = (): number => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: issuer,
  aud: 'gitfleet',
  sub: 'u1',
  email: 'alice@example.com',
  email_verified: true,
  groups: ['team-a', 'gitfleet:admins'],
  exp: now() + 300,
  ...extra,
});

function hubApp(login: BrowserLogin): Hono {
  const app = new Hono();
  // As the hub answers failures: `{"error": ...}` with the route's status.
  app.onError((e, c) => answerError(e, c, pino({ level: 'silent' })));
  app.route('/auth', authRoutes(login, pino({ level: 'silent' })));
  app.all('/api/whoami', (c) => {
    const s = login.authenticate(c);
    if (!s) return c.json({ error: 'unauthenticated' }, 401);
    if ('csrfRefused' in s) return c.json({ error: 'csrf' }, 403);
    return c.json(s.principal);
  });
  return app;
}

const makeLogin = (): BrowserLogin =>
  new BrowserLogin({
    issuer,
    clientId: 'gitfleet',
    clientSecret: 's3cret',
    redirectUrl: 'https://hub.example/auth/callback',
    key: randomBytes(32),
  });

/** Starts a sign-in, lets the "issuer" approve it with `claims`, and returns the callback request. */
async function signIn(app: Hono, idClaims = claims()): Promise<{ callback: string; cookie: string }> {
  const res = await app.request('/auth/login?return=/clusters/x');
  expect(res.status).toBe(302);
  const to = new URL(res.headers.get('location') ?? '');
  expect(to.searchParams.get('code_challenge_method')).toBe('S256');
  const code = randomBytes(8).toString('hex');
  nextClaims = idClaims;
  codes.set(code, {
    challenge: to.searchParams.get('code_challenge') ?? '',
    nonce: to.searchParams.get('nonce') ?? '',
    claims: nextClaims,
  });
  const cookie = (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  return { callback: `/auth/callback?code=${code}&state=${to.searchParams.get('state') ?? ''}`, cookie };
}

const sessionOf = (res: Response): { session: string; csrf: string } => {
  const all = res.headers.getSetCookie();
  const val = (name: string): string =>
    (all.find((c) => c.startsWith(`${name}=`)) ?? '').split(';')[0]?.slice(name.length + 1) ?? '';
  return { session: val(SESSION_COOKIE), csrf: val('gitfleet_csrf') };
};

describe('BrowserLogin', () => {
  it('signs in with code + PKCE and opens a session; gitfleet: groups from the issuer are dropped', async () => {
    const app = hubApp(makeLogin());
    const { callback, cookie } = await signIn(app);
    const res = await app.request(callback, { headers: { Cookie: cookie } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/clusters/x');
    const setCookies = res.headers.getSetCookie().join('\n');
    expect(setCookies).toMatch(new RegExp(`${SESSION_COOKIE}=[^;]+;.*HttpOnly`, 'u'));
    expect(setCookies).toMatch(/SameSite=Lax/u);
    // An https redirect URL makes every cookie Secure.
    expect(res.headers.getSetCookie().every((c) => /Secure/u.test(c))).toBe(true);
    const { session, csrf } = sessionOf(res);
    const me = await app.request('/api/whoami', { headers: { Cookie: `${SESSION_COOKIE}=${session}` } });
    expect(await me.json()).toEqual({ kind: 'user', name: 'alice@example.com', groups: ['team-a'] });
    const post = async (headers: Record<string, string>): Promise<Response> =>
      await app.request('/api/whoami', {
        method: 'POST',
        headers: { Cookie: `${SESSION_COOKIE}=${session}`, ...headers },
      });
    expect((await post({})).status).toBe(403);
    expect((await post({ [CSRF_HEADER]: 'x'.repeat(csrf.length) })).status).toBe(403);
    expect((await post({ [CSRF_HEADER]: csrf })).status).toBe(200);
    // Replaying the same callback with the same attempt cookie: refused before the issuer is asked.
    const again = await app.request(callback, { headers: { Cookie: cookie } });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: string }).error).toMatch(/already completed/u);
  });

  it('refuses a token whose nonce, audience or expiry is wrong', async () => {
    const app = hubApp(makeLogin());
    for (const [bad, why] of [
      [{ nonce: 'someone-elses' }, /nonce/u],
      [{ aud: 'other-app' }, /wrong audience/u],
      [{ exp: now() - 3600 }, /expired/u],
      [{ iss: 'https://evil.example' }, /wrong issuer/u],
    ] as const) {
      const { callback, cookie } = await signIn(app, claims(bad));
      const res = await app.request(callback, { headers: { Cookie: cookie } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toMatch(why);
      expect(sessionOf(res).session).toBe('');
    }
  });

  it('refuses a session sealed under another key, after logout, and after expiry', async () => {
    let clock = Date.now();
    const key = randomBytes(32);
    const login = new BrowserLogin({
      issuer,
      clientId: 'gitfleet',
      clientSecret: 's3cret',
      redirectUrl: 'http://127.0.0.1:1/auth/callback',
      key,
      sessionTtlSeconds: 3600,
      now: () => clock,
    });
    const app = hubApp(login);
    const { callback, cookie } = await signIn(app);
    const res = await app.request(callback, { headers: { Cookie: cookie } });
    // Plain http: not Secure (the browser would drop a Secure cookie there).
    expect(res.headers.getSetCookie().some((c) => /Secure/u.test(c))).toBe(false);
    const { session, csrf } = sessionOf(res);
    const forged = new Sealer(randomBytes(32)).seal(SESSION_COOKIE, {
      sid: 'x',
      name: 'admin',
      groups: [],
      csrf: 'c',
      exp: now() + 100,
    });
    expect(
      (await app.request('/api/whoami', { headers: { Cookie: `${SESSION_COOKIE}=${forged}` } })).status,
    ).toBe(401);
    // The sign-in attempt cookie is sealed for another purpose: never a session.
    const attempt = cookie.split('=')[1] ?? '';
    expect(
      (await app.request('/api/whoami', { headers: { Cookie: `${SESSION_COOKIE}=${attempt}` } })).status,
    ).toBe(401);
    const ok = await app.request('/api/whoami', { headers: { Cookie: `${SESSION_COOKIE}=${session}` } });
    expect(ok.status).toBe(200);
    clock += 3601_000;
    expect(
      (await app.request('/api/whoami', { headers: { Cookie: `${SESSION_COOKIE}=${session}` } })).status,
    ).toBe(401);
    clock -= 3601_000;
    const noCsrf = await app.request('/auth/logout', {
      method: 'POST',
      headers: { Cookie: `${SESSION_COOKIE}=${session}` },
    });
    expect(noCsrf.status).toBe(403);
    const out = await app.request('/auth/logout', {
      method: 'POST',
      headers: { Cookie: `${SESSION_COOKIE}=${session}`, [CSRF_HEADER]: csrf },
    });
    expect(await out.json()).toEqual({ signedOut: true });
    expect(
      (await app.request('/api/whoami', { headers: { Cookie: `${SESSION_COOKIE}=${session}` } })).status,
    ).toBe(401);
  });

  it('returns only to paths of this hub', () => {
    expect(localPath('/applications/a/b?x=1')).toBe('/applications/a/b?x=1');
    for (const p of [
      '//evil.example/',
      '/\\evil.example',
      'https://evil.example/',
      'x',
      undefined,
      '/a\r\nSet-Cookie: x',
    ])
      expect(localPath(p)).toBe('/');
  });
});
