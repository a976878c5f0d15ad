import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OidcVerifier } from './oidc.js';

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

describe('OIDC ID token verification (local issuer)', () => {
  it('accepts a valid RS256 token and maps email and groups', async () => {
    // gitfleet: groups are never taken from an identity provider.
    await expect(verifier().verify(token())).resolves.toEqual({
      kind: 'user',
      name: 'alice@example.com',
      groups: ['team-a'],
    });
  });

  it('accepts a valid ES256 token and falls back to preferred_username', async () => {
    const t = token({ alg: 'ES256', claims: { email: undefined, preferred_username: 'bob', groups: 'ops' } });
    await expect(verifier().verify(t)).resolves.toEqual({ kind: 'user', name: 'bob', groups: ['ops'] });
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
