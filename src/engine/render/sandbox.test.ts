import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { RenderError } from '../errors.js';
import type { ToolRun } from './exec.js';
import { runTool } from './exec.js';
import { DEFAULT_RESOURCE_LIMITS, networkIsolated } from './sandbox.js';

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sh = (script: string, over: Partial<ToolRun> = {}): ToolRun => ({
  tool: 'sh',
  binary: '/bin/sh',
  args: ['-c', script],
  cwd: tmpdir(),
  env: { PATH: '/usr/bin:/bin' },
  timeoutMs: 20_000,
  maxOutputBytes: 1024 * 1024,
  file: 'app/kustomization.yaml',
  ...over,
});

async function renderError(p: Promise<unknown>): Promise<RenderError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof RenderError) return err;
  throw new Error(`expected a RenderError, got ${String(err)}`);
}

describe('sandbox: every tool run is limited', () => {
  it('applies the default rlimits when the caller gives none', async () => {
    const r = await runTool(sh('ulimit -d; ulimit -t; ulimit -n; ulimit -c'));
    expect(r.stdout.trim().split('\n')).toEqual([
      String(DEFAULT_RESOURCE_LIMITS.memoryBytes / 1024),
      String(DEFAULT_RESOURCE_LIMITS.cpuSeconds),
      String(DEFAULT_RESOURCE_LIMITS.openFiles),
      '0',
    ]);
  });

  it('stops a process that uses more CPU time than allowed, as render.ResourceLimit', async () => {
    const started = Date.now();
    const err = await renderError(
      runTool(sh('while :; do :; done', { resources: { ...DEFAULT_RESOURCE_LIMITS, cpuSeconds: 1 } })),
    );
    expect(err.code).toBe('render.ResourceLimit');
    expect(err.message).toContain('CPU-time limit of 1 s');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops a process that writes a file larger than allowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitfleet-sandbox-'));
    temps.push(dir);
    const err = await renderError(
      runTool(
        sh(`exec head -c 3000000 /dev/zero > '${dir}/big'`, {
          resources: { ...DEFAULT_RESOURCE_LIMITS, fileSizeBytes: 1024 * 1024 },
        }),
      ),
    );
    expect(err.code).toBe('render.ResourceLimit');
    expect(err.message).toContain('file-size limit');
    expect(statSync(join(dir, 'big')).size).toBeLessThanOrEqual(1024 * 1024);
  });

  it('bounds the memory of a process (RLIMIT_DATA): a large allocation fails', async () => {
    // node needs ~100 MiB to start; 200 MiB of data stops a 1 GiB buffer.
    const r = await runTool({
      ...sh(''),
      binary: process.execPath,
      args: [
        '-e',
        'try { Buffer.alloc(1024 * 1024 * 1024, 1); console.log("allocated") } catch (e) { console.log("refused") }',
      ],
      resources: { ...DEFAULT_RESOURCE_LIMITS, memoryBytes: 400 * 1024 * 1024 },
    });
    // Unlimited, this allocates (the test machine has the memory); under the limit it is refused.
    expect(r.stdout.trim()).toBe('refused');
  });

  it('gives the tool no network: a server on this host is not reachable and proxies lead nowhere', async () => {
    let connections = 0;
    const server = createServer((s) => {
      connections++;
      s.end('HTTP/1.0 200 OK\r\n\r\nsecret');
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const { port } = server.address() as AddressInfo;
    try {
      const r = await runTool({
        ...sh(''),
        binary: process.execPath,
        args: [
          '-e',
          `require('net').connect(${port}, '127.0.0.1').on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(3) });` +
            `console.error(process.env.HTTPS_PROXY, process.env.GIT_ALLOW_PROTOCOL)`,
        ],
      });
      expect(r.stdout).not.toContain('connected');
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toContain('http://127.0.0.1:9 none');
      expect(connections).toBe(0);
      // On this machine (root or user namespaces) the tool gets its own network namespace.
      expect(await networkIsolated()).toBe(true);
    } finally {
      server.close();
    }
  });

  it('reports a missing binary without starting the sandbox', async () => {
    const err = await renderError(
      runTool({ ...sh(''), binary: '/nonexistent/kustomize', tool: 'kustomize' }),
    );
    expect(err.code).toBe('render.ToolMissing');
    expect(existsSync('/nonexistent')).toBe(false);
  });
});
