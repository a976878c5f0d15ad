// A Helm chart repository for tests: an HTTPS server (certificate from the run's test CA) with
// basic auth, serving a directory that the real `helm package` and `helm repo index` fill.
// ChartMuseum was not built: this is the "registry serves a `helm repo index`-ed directory" shape
// the issue allows. It counts index.yaml requests so tests and the bench can check that the fleet
// fetches an index once per interval.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { basename, dirname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import type { Pki } from './pki.js';
import { toolPath } from './tools.js';

const run = promisify(execFile);

export interface ChartRepo {
  /** https://127.0.0.1:<port>/charts */
  url: string;
  dir: string;
  username: string;
  password: string;
  /** PEM of the CA that signed the server's certificate. */
  caPem: string;
  /** GET /charts/index.yaml answered with 200 so far. */
  indexRequests(): number;
  /** `helm package` the chart directory into the repository and re-index it. */
  publish(chartDir: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startChartRepo(pki: Pki, dir: string): Promise<ChartRepo> {
  mkdirSync(dir, { recursive: true });
  const username = 'charts';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  let indexCount = 0;
  const server: Server = createServer(
    { cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) },
    (req, res) => {
      void (async () => {
        if (req.headers.authorization !== expected) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end();
          return;
        }
        const path = new URL(req.url ?? '/', 'https://x').pathname;
        const rel = normalize(decodeURIComponent(path)).replace(/^\/+/u, '');
        if (!rel.startsWith('charts/') || rel.includes('..')) {
          res.writeHead(404).end();
          return;
        }
        try {
          const body = await readFile(join(dir, rel.slice('charts/'.length)));
          if (rel === 'charts/index.yaml') indexCount += 1;
          res.writeHead(200, { 'content-length': body.length }).end(body);
        } catch {
          res.writeHead(404).end();
        }
      })();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `https://127.0.0.1:${port}/charts`;
  const helm = toolPath('helm');
  return {
    url,
    dir,
    username,
    password,
    caPem: readFileSync(pki.caCert, 'utf8'),
    indexRequests: () => indexCount,
    async publish(chartDir: string) {
      // `helm package` refuses a chart whose dependencies are not vendored; such an upstream-style
      // archive (dependencies left to the installer) is the same tar.gz, written by tar.
      if (/^dependencies:/mu.test(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'))) {
        const meta = readFileSync(join(chartDir, 'Chart.yaml'), 'utf8');
        const name = /^name: (\S+)/mu.exec(meta)?.[1] ?? '';
        const version = /^version: (\S+)/mu.exec(meta)?.[1] ?? '';
        await run('tar', [
          '-czf',
          join(dir, `${name}-${version}.tgz`),
          '-C',
          dirname(chartDir),
          basename(chartDir),
        ]);
      } else await run(helm, ['package', chartDir, '--destination', dir], { timeout: 60_000 });
      await run(helm, ['repo', 'index', dir, '--url', url], { timeout: 60_000 });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
