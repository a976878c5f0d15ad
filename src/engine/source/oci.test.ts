// Which WWW-Authenticate challenge names the token service (only the Bearer one's parameters), and
// manifests pinned by digest asked for once per credential.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { ArchiveCache } from './chart-cache.js';
import { bearerChallenge, OciClient } from './oci.js';

describe('bearerChallenge', () => {
  it('takes the Bearer challenge out of several, in one header or many', () => {
    // Gitea offers Bearer then Basic in one header; a Basic realm is a display name, not a URL.
    expect(
      bearerChallenge(
        'Bearer realm="http://127.0.0.1:3000/v2/token",service="container_registry",scope="*", Basic realm="Gitea Container Registry"',
      ),
    ).toEqual(
      new Map([
        ['realm', 'http://127.0.0.1:3000/v2/token'],
        ['service', 'container_registry'],
        ['scope', '*'],
      ]),
    );
    expect(
      bearerChallenge(
        'Basic realm="r", Bearer realm="https://auth.example/token",scope="repository:a/b:pull,push"',
      ),
    ).toEqual(
      new Map([
        ['realm', 'https://auth.example/token'],
        ['scope', 'repository:a/b:pull,push'],
      ]),
    );
    expect(bearerChallenge(['Basic realm="r"', 'bearer realm="https://a/t", service=s'])).toEqual(
      new Map([
        ['realm', 'https://a/t'],
        ['service', 's'],
      ]),
    );
  });

  it('is undefined without a Bearer challenge', () => {
    expect(bearerChallenge('Basic realm="registry"')).toBeUndefined();
    expect(bearerChallenge(undefined)).toBeUndefined();
    expect(bearerChallenge('')).toBeUndefined();
  });
});

describe('manifests pinned by digest', () => {
  it('asks the registry once per digest and credential; a tag is always asked', async () => {
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [] }));
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const hits: string[] = [];
    // A local stand-in answering the two manifest paths: this pins our request count, not a registry.
    const server = createServer((req, res) => {
      hits.push(`${req.url ?? ''} ${req.headers.authorization ?? ''}`);
      if (req.url === `/v2/r/manifests/${digest}` || req.url === '/v2/r/manifests/v1') res.end(body);
      else if (req.url?.startsWith('/v2/r/tags/list')) res.end(JSON.stringify({ tags: ['v1'] }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'gitfleet-oci-pin-'));
    try {
      const port = (server.address() as { port: number }).port;
      const oci = new OciClient({ cache: new ArchiveCache(dir), scheme: 'http' });
      const ref = { registry: `127.0.0.1:${port}`, repository: 'r' };
      const a = { username: 'u', password: 'p' };
      expect((await oci.resolve(ref, digest, a, 'r')).digest).toBe(digest);
      expect((await oci.resolve(ref, digest, a, 'r')).digest).toBe(digest);
      expect(hits.filter((h) => h.includes('/manifests/'))).toHaveLength(1);
      // Other credentials: the registry decides again.
      await oci.resolve(ref, digest, { username: 'v', password: 'p' }, 'r');
      expect(hits.filter((h) => h.includes('/manifests/'))).toHaveLength(2);
      // A tag can move: asked every time.
      await oci.resolve(ref, 'v1', a, 'r');
      await oci.resolve(ref, 'v1', a, 'r');
      expect(hits.filter((h) => h.includes('/manifests/v1'))).toHaveLength(2);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
