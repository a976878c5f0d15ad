import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from './client.js';

/**
 * The client's deadlines against a local HTTP server that misbehaves on purpose (pure client
 * logic: no API server is needed to stall): a request must end by its timeout whether the server
 * never answers or stalls in the middle of the body, a caller's abort ends it at once, and a watch
 * waits for its answer's headers only as long as a request would, then stays open.
 */
let server: http.Server;
let client: KubeClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/silent')) return; // accepts, never answers
    if (req.url?.startsWith('/stall')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"kind":'); // and nothing more
      return;
    }
    if (req.url?.includes('watch=true')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(
        `${JSON.stringify({ type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: 'a' } } })}\n`,
      );
      return; // an open watch with nothing more to say
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"kind":"Namespace","metadata":{"name":"ok"}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  client = new KubeClient({ server: `http://127.0.0.1:${port}`, headers: {}, rejectUnauthorized: true });
  client.requestTimeoutMs = 300;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('KubeClient deadlines', () => {
  it('answers a request that is answered', async () => {
    await expect(client.request({ method: 'GET', path: '/ok' })).resolves.toMatchObject({
      kind: 'Namespace',
    });
  });

  it('ends a request the server never answers at its timeout', async () => {
    const t0 = Date.now();
    await expect(client.request({ method: 'GET', path: '/silent' })).rejects.toThrow(
      /timed out after 300 ms/,
    );
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('ends a request whose body stalls at its timeout', async () => {
    await expect(client.request({ method: 'GET', path: '/stall' })).rejects.toThrow(/timed out after 300 ms/);
  });

  it("ends a request at once when the caller's signal aborts, with the caller's reason", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled by the test')), 50);
    const t0 = Date.now();
    await expect(client.request({ method: 'GET', path: '/silent', signal: ac.signal })).rejects.toThrow(
      'cancelled by the test',
    );
    expect(Date.now() - t0).toBeLessThan(250);
  });

  it('lets go of each request once it closes: no abort listener is left, no late timer cuts a reused connection', async () => {
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) await client.request({ method: 'GET', path: '/ok', signal: ac.signal });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    // Past every earlier request's deadline, the pooled connections still carry new requests.
    await new Promise((r) => setTimeout(r, 400));
    const answers = await Promise.all(
      ['/ok', '/ok', '/ok'].map((path) => client.request({ method: 'GET', path })),
    );
    expect(answers).toHaveLength(3);
  });

  it('gives a watch the usual time for its headers, then keeps it open', async () => {
    const ac = new AbortController();
    await expect(
      (async () => {
        for await (const _ of client.watch('/silent', {}, ac.signal)) break;
      })(),
    ).rejects.toThrow(/no answer within 300 ms/);
    const seen: string[] = [];
    const watching = (async () => {
      for await (const ev of client.watch('/api/v1/configmaps', {}, ac.signal)) seen.push(ev.type);
    })().catch(() => undefined);
    // Well past the request timeout: the open watch is not cut.
    await new Promise((r) => setTimeout(r, 900));
    expect(seen).toEqual(['ADDED']);
    ac.abort(new Error('done'));
    await watching;
  });
});
