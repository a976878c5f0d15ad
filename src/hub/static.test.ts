import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import type { HubEnv } from './principal.js';
import { mountStatic, packageRoot } from './static.js';

const root = mkdtempSync(join(tmpdir(), 'gitfleet-static-'));
const ui = join(root, 'ui');
mkdirSync(join(ui, 'assets'), { recursive: true });
writeFileSync(join(ui, 'index.html'), '<div id="root"></div>');
writeFileSync(join(ui, 'assets', 'app-1234.js'), 'console.log(1)');
writeFileSync(join(root, 'secret.txt'), 'outside the UI folder');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const app = new Hono<HubEnv>();
app.get('/api/v1/known', (c) => c.json({ ok: true }));
mountStatic(app, { dir: ui });
const get = (path: string): Promise<Response> => Promise.resolve(app.request(path));

describe('UI static files', () => {
  it('serves files, and index.html for the UI routes', async () => {
    const js = await get('/assets/app-1234.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    const route = await get('/apps/team/web');
    expect(await route.text()).toContain('id="root"');
    expect(route.headers.get('cache-control')).toBe('no-cache');
  });

  it('leaves /api to the API and never serves outside its folder', async () => {
    expect((await get('/api/v1/known')).status).toBe(200);
    const unknown = await get('/api/v1/unknown');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/json');
    expect((await get('/assets/missing.js')).status).toBe(404);
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      expect(await (await get(path)).text(), path).not.toContain('outside the UI folder');
    }
  });

  it('answers 503 with the build command when the UI is not built', async () => {
    const bare = new Hono<HubEnv>();
    mountStatic(bare, { dir: join(root, 'nothing') });
    const res = await bare.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('vite build');
  });

  it('finds the package root from its own folder', () => {
    const pkg = join(packageRoot() ?? '/nowhere', 'package.json');
    expect((JSON.parse(readFileSync(pkg, 'utf8')) as { name: string }).name).toBe('gitfleet');
  });
});
