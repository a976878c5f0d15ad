// Argo CD's kustomize.patches[].path, rendered by the real kustomize.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { toolPath } from '../../../test/harness/tools.js';
import { PathEscapeError } from '../errors.js';
import { realRoot, resolveAppDir } from './confine.js';
import { render } from './index.js';
import { kustomizeInputs } from './kustomize.js';

const opts = { kustomizeBinary: toolPath('kustomize') };
const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repo(entries: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'gitfleet-kust-patchfile-'));
  temps.push(root);
  for (const [p, v] of Object.entries(entries)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), v);
  }
  return root;
}

const APP = {
  'app/kustomization.yaml': 'resources: [deploy.yaml]\n',
  'app/deploy.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  replicas: 1\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec: { containers: [{ name: web, image: "nginx:1.25" }] }\n',
  // A JSON 6902 patch file outside the app directory, and a strategic merge one inside it.
  'patches/replicas.yaml': '- op: replace\n  path: /spec/replicas\n  value: 4\n',
  'app/label.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, labels: { tier: front } }\n',
};

const replicasOf = (out: Awaited<ReturnType<typeof render>>): unknown =>
  (out.find((m) => m.object.kind === 'Deployment')?.object as unknown as { spec: { replicas: number } }).spec
    .replicas;

describe('kustomize.patches[].path', () => {
  it('applies patch files relative to the app path, with and without a target; they are render inputs', async () => {
    const root = repo(APP);
    const kustomize = {
      patches: [
        { path: '../patches/replicas.yaml', target: { kind: 'Deployment', name: 'web' } },
        { path: 'label.yaml' },
      ],
    };
    const out = await render({ root, path: 'app', kustomize }, opts);
    expect(replicasOf(out)).toBe(4);
    expect(out[0]?.object.metadata.labels).toEqual({ tier: 'front' });
    const rootReal = await realRoot(root);
    const inputs = await kustomizeInputs(
      rootReal,
      await resolveAppDir(rootReal, 'app'),
      undefined,
      kustomize,
    );
    expect(inputs.paths()).toContain('patches/replicas.yaml');
  });

  it('refuses, naming the field, a file leaving the repository (path or symlink), a missing one and both patch and path', async () => {
    const root = repo(APP);
    symlinkSync('/etc/hostname', join(root, 'app', 'escape.yaml'));
    await expect(
      render({ root, path: 'app', kustomize: { patches: [{ path: '../../etc/passwd' }] } }, opts),
    ).rejects.toBeInstanceOf(PathEscapeError);
    await expect(
      render({ root, path: 'app', kustomize: { patches: [{ path: 'escape.yaml' }] } }, opts),
    ).rejects.toBeInstanceOf(PathEscapeError);
    await expect(
      render(
        { root, path: 'app', kustomize: { patches: [{ path: 'label.yaml' }, { path: 'nope.yaml' }] } },
        opts,
      ),
    ).rejects.toThrow(/kustomize\.patches\[1\]\.path 'nope\.yaml': no such file/);
    await expect(
      render({ root, path: 'app', kustomize: { patches: [{ path: 'https://example.com/p.yaml' }] } }, opts),
    ).rejects.toThrow(/kustomize\.patches\[0\]\.path .*only files of the app's repository/);
    await expect(
      render({ root, path: 'app', kustomize: { patches: [{ path: 'label.yaml', patch: 'x' }] } }, opts),
    ).rejects.toThrow(/kustomize\.patches\[0\]: set `patch` or `path`, not both/);
  });
});
