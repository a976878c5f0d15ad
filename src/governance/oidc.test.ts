import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OidcVerifier, toUser } from './oidc.js';

// A local issuer: discovery + JWKS over node:http, tokens signed with node:crypto.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rotated = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const published: { kid: string; key: KeyObject }[] = [
  { kid: 'rsa-1', key: rsa.publicKey },
  { kid: 'ec-1', key: ec.publicKey },
];
let server: Server;
let issuer = '';
let jwksFetches = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration')
      return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }));
    if (req.url === '/keys') {
      jwksFetches += 1;
      return res.end(
        JSON.stringify({
          keys: published.map((k) => ({ ...k.key.export({ format: 'jwk' }), kid: k.kid, use: 'sig' })),
        }),
      );
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

function token(
  opts: { alg?: 'RS256' | 'ES256'; kid?: string; key?: KeyObject; claims?: Record<string, unknown> } = {},
): string {
  const alg = opts.alg ?? 'RS256';
  const header = b64({ alg, typ: 'JWT', kid: opts.kid ?? (alg === 'RS256' ? 'rsa-1' : 'ec-1') });
  const payload = b64({
    iss: issuer,
    aud: 'gitfleet',
    sub: 'u-123',
    email: 'alice@example.com',
    email_verified: true,
    groups: ['team-a', 'gitfleet:admins'],
    exp: now() + 300,
    iat: now(),
    ...opts.claims,
  });
  const key = opts.key ?? (alg === 'RS256' ? rsa.privateKey : ec.privateKey);
  const sig = sign(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
  );
  return `${header}.${payload}.${sig.toString('base64url')}`;
}

const verifier = (): OidcVerifier =>
  new OidcVerifier({ issuer, clientId: 'gitfleet', minRefreshIntervalMs: 0 });

describe('OIDC claims to a user: one claim, one kind', () => {
  const base = { sub: 'u-1', groups: ['team-a'] };
  it('takes an email only when the issuer verified it', () => {
    expect(toUser({ ...base, email: 'a@x.io', email_verified: true }).name).toBe('a@x.io');
    expect(toUser({ ...base, email: 'a@x.io', email_verified: 'true' }).name).toBe('a@x.io');
    for (const v of [false, 'false', undefined, 1, 'yes'])
      expect(toUser({ ...base, email: 'a@x.io', email_verified: v }).name).toBe('u-1');
  });

  it('never takes preferred_username by default, so a user cannot name themselves like another', () => {
    expect(toUser({ ...base, preferred_username: 'alice@example.com' }).name).toBe('u-1');
    expect(toUser({ ...base, preferred_username: 'team-a' }).name).toBe('u-1');
  });

  it('with a username claim, uses that claim only', () => {
    expect(toUser({ ...base, preferred_username: 'bob' }, 'groups', 'preferred_username').name).toBe('bob');
    expect(() => toUser(base, 'groups', 'preferred_username')).toThrow(
      'the token has no preferred_username claim to name the user',
    );
    expect(() => toUser({ ...base, email: 'a@x.io' }, 'groups', 'email')).toThrow(
      "the token's email is not verified",
    );
  });

  it('keeps group names as groups, whatever they spell; drops gitfleet: groups', () => {
    const u = toUser({ ...base, groups: ['role:admin', 'proj:a:b', 'user:alice', 'gitfleet:admins', ''] });
    expect(u.groups).toEqual(['role:admin', 'proj:a:b', 'user:alice']);
  });

  it('refuses a token that names nobody', () => {
    expect(() => toUser({ email: 'a@x.io', preferred_username: 'a' })).toThrow('the token names no user');
  });
});

describe('OIDC ID token verification (local issuer)', () => {
  it('accepts a valid RS256 token and maps email and groups', async () => {
    // gitfleet: groups are never taken from an identity provider.
    await expect(verifier().verify(token())).resolves.toEqual({
      kind: 'user',
      name: 'alice@example.com',
      groups: ['team-a'],
    });
  });

  it('accepts a valid ES256 token and falls back to sub, never to preferred_username', async () => {
    const t = token({ alg: 'ES256', claims: { email: undefined, preferred_username: 'bob', groups: 'ops' } });
    await expect(verifier().verify(t)).resolves.toEqual({ kind: 'user', name: 'u-123', groups: ['ops'] });
  });

  it('refuses a wrong audience, a wrong issuer, an expired and a not-yet-valid token', async () => {
    const v = verifier();
    await expect(v.verify(token({ claims: { aud: 'other-app' } }))).rejects.toThrow(
      'wrong audience "other-app"; expected gitfleet',
    );
    await expect(v.verify(token({ claims: { iss: 'https://evil.example' } }))).rejects.toThrow(
      'wrong issuer "https://evil.example"',
    );
    await expect(v.verify(token({ claims: { exp: now() - 120 } }))).rejects.toThrow(/^expired at /);
    await expect(v.verify(token({ claims: { nbf: now() + 600 } }))).rejects.toThrow(/^not valid before /);
    // Within the clock skew is fine.
    await expect(v.verify(token({ claims: { exp: now() - 30 } }))).resolves.toMatchObject({
      name: 'alice@example.com',
    });
  });

  it('refuses a bad signature, an unknown key and unsigned tokens', async () => {
    const v = verifier();
    const [h, , s] = token().split('.');
    const forged = `${h}.${b64({ iss: issuer, aud: 'gitfleet', sub: 'mallory', exp: now() + 300 })}.${s}`;
    await expect(v.verify(forged)).rejects.toThrow('bad signature');
    await expect(v.verify(token({ kid: 'rsa-1', key: stranger.privateKey }))).rejects.toThrow(
      'bad signature',
    );
    await expect(v.verify(token({ kid: 'nobody', key: stranger.privateKey }))).rejects.toThrow(
      'unknown signing key kid=nobody for RS256',
    );
    const none = `${b64({ alg: 'none' })}.${b64({ iss: issuer, aud: 'gitfleet', sub: 'x', exp: now() + 60 })}.`;
    await expect(v.verify(none)).rejects.toThrow('unsupported signing algorithm "none"');
    await expect(v.verify('not-a-token')).rejects.toThrow('not a JWT');
    // An RSA key cannot vouch for an ES256 token.
    await expect(v.verify(token({ alg: 'ES256', kid: 'rsa-1' }))).rejects.toThrow('does not fit ES256');
  });

  it('fetches the keys again when the issuer rotates to a new key, and caches them otherwise', async () => {
    const v = verifier();
    await v.verify(token());
    const before = jwksFetches;
    await v.verify(token());
    expect(jwksFetches).toBe(before);
    published.push({ kid: 'rsa-2', key: rotated.publicKey });
    await expect(v.verify(token({ kid: 'rsa-2', key: rotated.privateKey }))).resolves.toMatchObject({
      name: 'alice@example.com',
    });
    expect(jwksFetches).toBe(before + 1);
  });
});
