// The digest of a tag's own manifest: an index's digest for a multi-arch tag (never a platform's),
// through a Bearer token exchange, and a refusal when the header and the content disagree. The
// server below answers as distribution does for a list (the amd64 manifest to a client that does
// not accept lists); the real registry with a crane-pushed index is in the image e2e test.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGEST_ACCEPT, tagDigest } from './manifest-digest.js';

const sha = (b: string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const platform = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: {},
  layers: [],
});
const list = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
  manifests: [{ digest: sha(platform), platform: { os: 'linux', architecture: 'amd64' } }],
});

let server: Server;
let host = '';
const seen: { accept?: string; authorization?: string }[] = [];
let lie = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/token')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ token: 'tok-1' }));
      return;
    }
    seen.push({
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    if (req.headers.authorization !== 'Bearer tok-1') {
      res.statusCode = 401;
      res.setHeader('www-authenticate', `Bearer realm="http://${host}/token",service="reg",scope="x"`);
      res.end();
      return;
    }
    const wantsList = (req.headers.accept ?? '').includes(
      'application/vnd.docker.distribution.manifest.list.v2+json',
    );
    const body = wantsList ? list : platform;
    res.setHeader('content-type', JSON.parse(body).mediaType as string);
    res.setHeader('docker-content-digest', lie ? sha('other') : sha(body));
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => server.close());

describe('tagDigest', () => {
  const ref = () => ({ registry: host, repository: 'team/app' });
  const opts = { timeoutMs: 5000, scheme: 'http' as const };

  it("is the list's digest for a multi-arch tag, after a Bearer token exchange", async () => {
    lie = false;
    const d = await tagDigest(ref(), '1.0.0', { username: 'u', password: 'p' }, opts, 'reg/team/app:1.0.0');
    expect(d).toEqual({
      digest: sha(list),
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
    });
    expect(d.digest).not.toBe(sha(platform));
    expect(seen.at(-1)).toEqual({ accept: DIGEST_ACCEPT.join(', '), authorization: 'Bearer tok-1' });
    // The first request carried basic credentials, the token service was asked with them too.
    expect(seen.at(-2)?.authorization).toMatch(/^Basic /u);
  });

  it('refuses a digest header that does not match the content, naming both', async () => {
    lie = true;
    const err = await tagDigest(ref(), '1.0.0', {}, opts, 'reg/team/app:1.0.0').catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain(`hashes to ${sha(list)}`);
    lie = false;
  });
});
