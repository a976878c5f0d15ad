import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { GitSources } from '../engine/source/index.js';
import { KubeClient } from '../kube/client.js';
import { answerError } from './http-errors.js';
import { previewRoutes } from './preview-routes.js';
import { builtinAuthorizer, type HubEnv } from './principal.js';

// Nothing is contacted: every request here is refused before the preview reads anything.
const client = new KubeClient({ server: 'https://127.0.0.1:9', headers: {}, rejectUnauthorized: false });

function app(withSources: boolean): Hono<HubEnv> {
  const a = new Hono<HubEnv>();
  a.onError((e, c) => answerError(e, c, pino({ level: 'silent' })));
  a.use('*', async (c, next) => {
    c.set('principal', { kind: 'user', name: 'u', groups: [] });
    await next();
  });
  a.route(
    '/',
    previewRoutes({
      client,
      authorizer: builtinAuthorizer,
      ...(withSources ? { sources: {} as GitSources } : {}),
    }),
  );
  return a;
}

const post = async (a: Hono<HubEnv>, body: string): Promise<{ status: number; error: string }> => {
  const r = await a.request('/preview', {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  return { status: r.status, error: ((await r.json()) as { error: string }).error };
};

describe('POST /preview refuses bad input by field, before reading anything', () => {
  const ok = { repoURL: 'https://git.example.com/o/r.git', base: 'main', head: 'feature/x' };
  it.each([
    ['not JSON', '{', 'body: not valid JSON'],
    ['an array', '[]', 'body: expected a JSON object {repoURL, base, head}'],
    ['an unknown field', JSON.stringify({ ...ok, extra: 1 }), 'body.extra: unknown field'],
    ['a bad URL', JSON.stringify({ ...ok, repoURL: 'file:///etc' }), 'body.repoURL: expected a Git URL'],
    ['an option as base', JSON.stringify({ ...ok, base: '--upload-pack=x' }), 'body.base: expected a branch'],
    ['no head', JSON.stringify({ ...ok, head: undefined }), 'body.head: expected a branch'],
  ])('%s', async (_what, body, error) => {
    const r = await post(app(true), body);
    expect(r.status).toBe(400);
    expect(r.error.startsWith(error)).toBe(true);
  });

  it('answers 503 on a hub without Git mirrors', async () => {
    const r = await post(app(false), JSON.stringify(ok));
    expect(r).toEqual({ status: 503, error: 'this hub serves no previews: it runs without Git mirrors' });
  });
});
