import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { HubEnv } from './principal.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * The package root: the nearest folder above this module with gitfleet's package.json. Found by
 * walking up, so it is the same from src/hub (tsx) and from dist/src/hub (compiled).
 */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gitfleet') return dir;
      } catch {
        // not ours: keep walking
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Where the built UI is: `web/dist` under the package root. */
export function defaultUiDir(): string | undefined {
  const root = packageRoot();
  return root ? join(root, 'web', 'dist') : undefined;
}

/**
 * Serves the built web UI (web/dist) for every GET outside `/api` and the hub's own endpoints:
 * files as they are, anything else as index.html so the UI's own routes (`/apps/ns/name`)
 * survive a reload. Hashed assets are cached for a year; index.html never, so a new build shows
 * at the next load. Mount it last: it answers whatever the routes before it did not.
 */
export function mountStatic(app: Hono<HubEnv>, opts: { dir?: string } = {}): void {
  const dir = opts.dir ?? defaultUiDir();
  const root = dir ? resolve(dir) : undefined;
  const reserved = (path: string): boolean =>
    path === '/api' || path.startsWith('/api/') || path === '/metrics' || path === '/healthz';

  app.get('*', async (c) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return c.text('bad path', 400);
    }
    if (reserved(path)) return c.json({ error: 'not found' }, 404);
    if (!root || !existsSync(join(root, 'index.html')))
      return c.text('The web UI is not built: run `npx vite build web` (make build does it).', 503);
    const file = resolve(root, `.${path}`);
    // resolve() removes `..`; anything that lands outside the UI folder is not served.
    const inside = file === root || file.startsWith(root + sep);
    if (inside && extname(file) && (await isFile(file))) {
      const immutable = file.startsWith(join(root, 'assets') + sep);
      return c.body(await readFile(file), 200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
    if (extname(path) && path.startsWith('/assets/')) return c.text('not found', 404);
    return c.body(await readFile(join(root, 'index.html')), 200, {
      'Content-Type': TYPES['.html'] ?? 'text/html',
      'Cache-Control': 'no-cache',
    });
  });
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
