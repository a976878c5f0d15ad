import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AuditQueryError } from '../governance/audit/index.js';
import { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import { answerError, fail } from './http-errors.js';
import { BodyTooLargeError } from './http-guards.js';
import { createHubApp } from './server.js';

/** A hub-shaped app: one sub-app throws, the parent maps, as server.ts wires it. */
function appThrowing(err: () => never): { app: Hono; logged: string[] } {
  const logged: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => logged.push(line) });
  const sub = new Hono();
  sub.get('/x', () => err());
  const app = new Hono();
  app.onError((e, c) => answerError(e, c, log));
  app.route('/api/v1', sub);
  return { app, logged };
}

async function answer(
  err: () => never,
): Promise<{ status: number; body: unknown; headers: Headers; logged: string[] }> {
  const { app, logged } = appThrowing(err);
  const res = await app.request('/api/v1/x');
  return { status: res.status, body: await res.json(), headers: res.headers, logged };
}

describe('answerError: every failure is answered in one place, as {"error": ...}', () => {
  it.each([
    [
      'a refusal',
      () => fail(403, 'user "bob" may not sync applications'),
      403,
      'user "bob" may not sync applications',
    ],
    ['a missing object', () => fail(404, 'application ns/a not found'), 404, 'application ns/a not found'],
    [
      'a conflict',
      () => fail(409, 'ns/a has automated sync enabled'),
      409,
      'ns/a has automated sync enabled',
    ],
    [
      'a bad audit query',
      () => {
        throw new AuditQueryError('since must be an RFC 3339 time');
      },
      400,
      'since must be an RFC 3339 time',
    ],
    [
      'a body past its limit',
      () => {
        throw new BodyTooLargeError(10);
      },
      413,
      'the request body is larger than 1048576 bytes',
    ],
  ] as const)('%s keeps its status and message', async (_name, err, status, message) => {
    const got = await answer(err as () => never);
    expect(got.status).toBe(status);
    if (status !== 413) expect(got.body).toEqual({ error: message });
    else
      expect(got.body).toMatchObject({
        error: expect.stringMatching(/^the request body is larger than \d+ bytes$/),
      });
  });

  it('headers given to fail are sent (Retry-After, Connection)', async () => {
    const got = await answer(() =>
      fail(503, 'too many webhook deliveries at once; retry', { 'Retry-After': '5' }),
    );
    expect(got.status).toBe(503);
    expect(got.headers.get('retry-after')).toBe('5');
  });

  it('the API server decides: 503 while it starts or a kind is missing, 502 when it refuses', async () => {
    const missing = await answer(() => {
      throw new KubeApiError('GET /apis/gitfleet.dev/v1alpha1/clusters', 404, undefined);
    });
    expect(missing.status).toBe(503);
    expect(missing.body).toEqual({ error: 'GET /apis/gitfleet.dev/v1alpha1/clusters: HTTP 404' });
    const down = await answer(() => {
      throw new KubeApiError('GET /x', 500, undefined);
    });
    expect(down.status).toBe(503);
    const refused = await answer(() => {
      throw new KubeApiError('PATCH /x', 422, { kind: 'Status', message: 'invalid', reason: 'Invalid' });
    });
    expect(refused.status).toBe(502);
    expect(refused.body).toEqual({ error: 'PATCH /x: invalid' });
  });

  it('anything else is a 500 whose message stays in the log, never in the answer', async () => {
    const got = await answer(() => {
      throw new Error('token=s3cr3t leaked in a message');
    });
    expect(got.status).toBe(500);
    expect(got.body).toEqual({ error: 'internal error' });
    expect(JSON.stringify(got.body)).not.toContain('s3cr3t');
    expect(got.logged.join('')).toContain('hub request failed');
  });
});

describe('the hub app: one authentication in front of every /api/v1 sub-app', () => {
  // Nothing is contacted: the token check fails before any route reads the cluster.
  const client = new KubeClient({ server: 'https://127.0.0.1:9', headers: {}, rejectUnauthorized: false });
  const { app, stop } = createHubApp({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    api: { client, tokens: ['right'] },
    ui: false,
    log: pino({ level: 'silent' }),
  });

  it.each([
    ['GET', '/api/v1/applications'],
    ['GET', '/api/v1/fleet'],
    ['GET', '/api/v1/applications/ns/a/tree'],
    ['POST', '/api/v1/applications/ns/a/sync'],
    ['POST', '/api/v1/applicationsets/ns/s/rollout/approve'],
    ['GET', '/api/v1/agent/assignments?cluster=c'],
  ])('%s %s without a valid token: 401 with the same JSON', async (method, path) => {
    // (A wrong bearer token would first wait for the token cache, which no cluster feeds here.)
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz']) {
      const res = await app.request(path, { method, headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'a valid bearer token is required' });
    }
  });

  it('a route the hub does not have is still a 404, after authentication', async () => {
    const res = await app.request('/api/v1/nothing', { headers: { authorization: 'Bearer right' } });
    expect(res.status).toBe(404);
  });

  it('stops', () => {
    stop();
    client.close();
  });
});
