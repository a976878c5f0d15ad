import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

// Tests use the harness's pinned tool builds; runtime code takes binaries from RenderOptions/env.
import { tempTrees } from '../../../test/harness/temp-tree.js';
import { toolPath } from '../../../test/harness/tools.js';
import { PathEscapeError, RenderError } from '../errors.js';
import { EMPTY_PATH } from './exec.js';
import { RenderCache, render, renderCached } from './index.js';
import type { RenderOptions } from './index.js';
import { InputSet } from './inputs.js';
import { renderKustomize } from './kustomize.js';
import { NO_NETWORK_ENV } from './sandbox.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const opts: RenderOptions = { kustomizeBinary: toolPath('kustomize') };

const trees = tempTrees('gitfleet-render-kust-');
afterEach(trees.cleanup);

/** A temporary repository: string values are files, `{ link }` values are symlinks. */
const repo = trees.tree;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the render to fail');
    },
    (e: unknown) => e,
  );
}

async function renderError(p: Promise<unknown>): Promise<RenderError> {
  const err = await rejection(p);
  if (err instanceof RenderError) return err;
  throw new Error(`expected a RenderError, got ${String(err)}`);
}

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('render: kustomize', () => {
  it('renders an overlay with a base and a patch, attributing objects to the overlay kustomization', async () => {
    const out = await render({ root: testdata, path: 'kustomize/overlays/prod' }, opts);
    const deployment = out.find((m) => m.object.kind === 'Deployment');
    expect(deployment?.object.metadata).toMatchObject({ name: 'prod-web', namespace: 'prod' });
    expect(deployment?.object.spec).toMatchObject({ replicas: 5 });
    expect(out.map((m) => `${m.object.kind}/${m.object.metadata.name}`).sort()).toEqual([
      'Deployment/prod-web',
      'Service/prod-web',
    ]);
    for (const m of out) expect(m.origin.file).toBe('kustomize/overlays/prod/kustomization.yaml');
    // Lines are positions in kustomize's output: the first object starts at line 1, the next later.
    expect(out[0]?.origin.line).toBe(1);
    expect(out[1]?.origin.line).toBeGreaterThan(1);
  });

  it('renders the base unpatched, and with type: kustomize given explicitly', async () => {
    const out = await render({ root: testdata, path: 'kustomize/base', type: 'kustomize' }, opts);
    expect(out.find((m) => m.object.kind === 'Deployment')?.object.spec).toMatchObject({ replicas: 1 });
  });

  it('names the kustomization file and carries kustomize stderr when the build fails', async () => {
    const err = await renderError(render({ root: testdata, path: 'kustomize/broken' }, opts));
    expect(err.code).toBe('render.ToolFailed');
    expect(err.file).toBe('kustomize/broken/kustomization.yaml');
    expect(err.message).toContain('kustomize build failed');
    expect(err.message).toContain('does-not-exist.yaml');
    // Host paths of the checkout do not leak into messages.
    expect(err.message).not.toContain(testdata);
  });

  it('finds kustomization.yml and Kustomization too', async () => {
    const root = repo({
      'a/kustomization.yml': 'resources: [cm.yaml]\n',
      'a/cm.yaml': cm('from-yml'),
      'b/Kustomization': 'resources: [cm.yaml]\n',
      'b/cm.yaml': cm('from-Kustomization'),
      'c/kustomization.yml': 'namePrefix: p-\nresources: [cm.yaml]\n',
      'c/cm.yaml': cm('built'),
    });
    // A kustomization that only lists files is read without kustomize: objects keep their file.
    expect((await render({ root, path: 'a' }, opts))[0]?.origin.file).toBe('a/cm.yaml');
    const [built] = await render({ root, path: 'c' }, opts);
    expect(built?.object.metadata.name).toBe('p-built');
    expect(built?.origin.file).toBe('c/kustomization.yml');
    expect((await render({ root, path: 'b' }, opts))[0]?.object.metadata.name).toBe('from-Kustomization');
  });

  it('returns [] for a kustomization without resources', async () => {
    const root = repo({
      'app/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamePrefix: x-\n',
    });
    expect(await render({ root, path: 'app' }, opts)).toEqual([]);
  });

  it('fails clearly when type is kustomize but there is no kustomization', async () => {
    const root = repo({ 'app/cm.yaml': cm('a') });
    const err = await renderError(render({ root, path: 'app', type: 'kustomize' }, opts));
    expect(err.message).toContain('no kustomization.yaml');
  });

  it('refuses a symlink escaping the root in what the app reads, before running kustomize', async () => {
    const root = repo({
      'app/kustomization.yaml': 'resources: [cm.yaml, ../base]\n',
      'app/cm.yaml': cm('a'),
      'base/kustomization.yaml': 'resources: []\n',
      'base/etc': { link: '/etc' },
    });
    const err = await rejection(render({ root, path: 'app' }, opts));
    expect(err).toBeInstanceOf(PathEscapeError);
    expect(String(err)).toContain('base/etc');
  });

  it('does not read a kustomization reached through a link out of the tree', async () => {
    // Outside the repository: a file too large to read. Read through the link, it would have been
    // refused for its size, after its open; unread, the link itself is what is refused.
    const outside = repo({ 'kustomization.yaml': 'resources: []\n' });
    truncateSync(join(outside, 'kustomization.yaml'), 8 * 1024 * 1024);
    const root = repo({
      'app/kustomization.yaml': 'resources: [cm.yaml, ../base]\n',
      'app/cm.yaml': cm('a'),
      'base/kustomization.yaml': { link: join(outside, 'kustomization.yaml') },
    });
    const err = await rejection(render({ root, path: 'app' }, opts));
    expect(err).toBeInstanceOf(PathEscapeError);
    expect(String(err)).toContain('base/kustomization.yaml');
    expect(String(err)).not.toContain('bytes');
  });

  it('renders an app although another folder of the monorepo holds an escaping symlink', async () => {
    const root = repo({
      'app/kustomization.yaml': 'resources: [cm.yaml]\n',
      'app/cm.yaml': cm('a'),
      'other-team/etc': { link: '/etc' },
    });
    const out = await render({ root, path: 'app' }, opts);
    expect(out.map((m) => m.object.metadata.name)).toEqual(['a']);
  });

  it('refuses a resource directory outside the root, which the load restrictor would allow', async () => {
    const outside = repo({ 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': cm('outside') });
    const root = repo({
      'app/base/kustomization.yaml': `resources: [../../../${outside.split('/').pop() ?? ''}]\n`,
    });
    mkdirSync(join(root, 'app/overlay'));
    writeFileSync(join(root, 'app/overlay/kustomization.yaml'), 'resources: [../base]\n');
    const err = await rejection(render({ root, path: 'app/overlay' }, opts));
    expect(err).toBeInstanceOf(PathEscapeError);
    expect(String(err)).toContain('app/base/kustomization.yaml');
  });

  it('runs kustomize with an argument array, the root-only load restrictor, no plugins and a scrubbed env', async () => {
    // A stand-in binary that reports how it was invoked; the real binary cannot show its env.
    const bin = repo({
      kustomize: [
        '#!/bin/sh',
        "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: invocation\\ndata:\\n  args: |\\n'",
        'for a in "$@"; do printf \'    %s\\n\' "$a"; done',
        "printf '  env: |\\n'",
        // The tool's PATH holds no programs: the stand-in names its helpers absolutely.
        "/usr/bin/env | /usr/bin/sort | /usr/bin/sed 's/^/    /'",
        '',
      ].join('\n'),
    });
    chmodSync(join(bin, 'kustomize'), 0o755);
    process.env.GITFLEET_TEST_LEAK = 'must-not-reach-kustomize';
    try {
      const root = repo({ 'my app/kustomization.yaml': 'resources: []\n' });
      const [m] = await render({ root, path: 'my app' }, { kustomizeBinary: join(bin, 'kustomize') });
      const data = m?.object.data as { args: string; env: string };
      expect(data.args.trim().split('\n')).toEqual([
        'build',
        '--load-restrictor=LoadRestrictionsRootOnly',
        '--',
        './my app',
      ]);
      expect(data.env).not.toContain('GITFLEET_TEST_LEAK');
      const vars = Object.fromEntries(
        data.env
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      expect(
        Object.keys(vars).filter(
          (k) => !['PATH', 'HOME', 'PWD', 'SHLVL', '_', 'OLDPWD', ...Object.keys(NO_NETWORK_ENV)].includes(k),
        ),
      ).toEqual([]);
      expect(vars.PATH).toBe(EMPTY_PATH);
      expect(vars.HTTPS_PROXY).toBe('http://127.0.0.1:9');
      expect(vars.GIT_ALLOW_PROTOCOL).toBe('none');
      expect(vars.HOME).not.toBe(homedir());
      expect(vars.HOME?.startsWith(tmpdir())).toBe(true);
      // The temporary HOME is removed after the run.
      expect(existsSync(vars.HOME ?? '/')).toBe(false);
    } finally {
      delete process.env.GITFLEET_TEST_LEAK;
    }
  });

  it('reports a missing binary and how to build it', async () => {
    const err = await renderError(
      render(
        { root: testdata, path: 'kustomize/overlays/prod' },
        { kustomizeBinary: '/nonexistent/bin/kustomize' },
      ),
    );
    expect(err.code).toBe('render.ToolMissing');
    expect(err.message).toContain('/nonexistent/bin/kustomize');
    expect(err.message).toContain('run scripts/build-tools.sh');
  });

  it('kills kustomize and fails when its output exceeds maxOutputBytes', async () => {
    const err = await renderError(
      render({ root: testdata, path: 'kustomize/overlays/prod' }, { ...opts, maxOutputBytes: 64 }),
    );
    expect(err.code).toBe('render.OutputTooLarge');
    expect(err.file).toBe('kustomize/overlays/prod/kustomization.yaml');
  });

  it('kills kustomize and fails when it runs past timeoutMs', async () => {
    const err = await renderError(
      render({ root: testdata, path: 'kustomize/overlays/prod' }, { ...opts, timeoutMs: 1 }),
    );
    expect(err.code).toBe('render.Timeout');
    expect(err.message).toContain('within 1 ms');
  });

  it('stops the kustomize render when the signal aborts', async () => {
    const ac = new AbortController();
    const p = render({ root: testdata, path: 'kustomize/overlays/prod' }, { ...opts, signal: ac.signal });
    setImmediate(() => ac.abort(new Error('shutting down')));
    const err = await renderError(p);
    expect(err.code).toBe('render.Aborted');
  });

  it.each(['--output=OUT', '-o', '--enable-helm', '--load-restrictor=LoadRestrictionsNone', '--enable-exec'])(
    'reads the app path %j as a directory, never as an option (nothing is written)',
    async (name) => {
      const out = mkdtempSync(join(tmpdir(), 'gitfleet-kust-out-'));
      trees.remember(out);
      const target = join(out, 'written.yaml');
      const path = `apps/${name.replace('OUT', target)}`;
      const root = repo({
        [`${path}/kustomization.yaml`]: 'resources: [cm.yaml]\n',
        [`${path}/cm.yaml`]: cm('odd'),
      });
      // As the last segment of the app path (what a git directory generator produces) and at the root.
      const rendered = await render({ root, path }, opts);
      expect(rendered.map((m) => m.object.metadata.name)).toEqual(['odd']);
      const atRoot = repo({
        [`${name.replace('OUT', target)}/kustomization.yaml`]: 'resources: []\n',
      });
      await render({ root: atRoot, path: name.replace('OUT', target) }, opts);
      expect(existsSync(target)).toBe(false);
    },
  );

  it('cannot fetch a remote base even when one slips past the kustomization check', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.end(cm('fetched'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      for (const entry of [
        `http://127.0.0.1:${port}/cm.yaml`,
        `git::http://127.0.0.1:${port}/repo.git//base`,
      ]) {
        const root = repo({ 'app/kustomization.yaml': `resources: [${JSON.stringify(entry)}]\n` });
        // A prepared, empty input set skips the check: this is kustomize on its own in the sandbox.
        const err = await renderError(
          renderKustomize(root, { abs: join(root, 'app'), rel: 'app' }, limits(), new InputSet()),
        );
        expect(err.code).toBe('render.ToolFailed');
      }
      expect(requests).toBe(0);
    } finally {
      server.close();
    }
  });

  it(
    'stops a billion-laughs kustomization at its memory limit, and does not run it again',
    { timeout: 60_000, retry: 1 },
    async () => {
      const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 10; i++) {
        const prev = String.fromCharCode(96 + i);
        const cur = String.fromCharCode(97 + i);
        levels.push(
          `${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`,
        );
      }
      const root = repo({
        'app/kustomization.yaml': 'resources: [bomb.yaml]\n',
        'app/bomb.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  ${levels.join('\n  ')}\n`,
      });
      // Counts the runs of the real kustomize.
      const counter = join(root, '..', `${root.split('/').pop() ?? ''}-runs`);
      trees.remember(counter);
      const wrapper = join(root, 'kustomize-wrapper');
      writeFileSync(wrapper, `#!/bin/sh\necho run >> '${counter}'\nexec '${toolPath('kustomize')}' "$@"\n`);
      chmodSync(wrapper, 0o755);
      const cache = new RenderCache();
      const access = { cache, objectId: (): Promise<string> => Promise.resolve('same-input') };
      const o: RenderOptions = { kustomizeBinary: wrapper, resources: { memoryBytes: 256 * 1024 * 1024 } };
      const started = Date.now();
      const err = await renderError(renderCached({ root, path: 'app' }, o, access));
      const took = Date.now() - started;
      // Unlimited, kustomize grows to many GB (issue 13); here Go's allocator fails at the limit.
      // Code and message in one value, so a failure's "Received" line shows what kustomize printed.
      expect(`${err.code}: ${err.message.slice(0, 400)}`).toMatch(/^render\.ResourceLimit: /u);
      expect(err.message).toContain('memory limit of 256 MiB');
      expect(err.file).toBe('app/kustomization.yaml');
      expect(took).toBeLessThan(30_000);
      const again = await renderError(renderCached({ root, path: 'app' }, o, access));
      expect(again).toBe(err);
      expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1);
      // One retry: in CI runs of 2026-12-02 and 2026-12-04 (every suite at once on 2 cores) kustomize
      // failed here without an out-of-memory message (the excerpt CI kept did not show which). The
      // one such death reproduced here, a nil fault in Go's collector in about 1 of 50 runs, now
      // counts as the memory limit (exec.ts goRuntimeNilFault); 30 runs of this test under load passed.
    },
  );
});

function limits(): Parameters<typeof renderKustomize>[2] {
  return { binary: toolPath('kustomize'), timeoutMs: 30_000, maxOutputBytes: 1024 * 1024 };
}
