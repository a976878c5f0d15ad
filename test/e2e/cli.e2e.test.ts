import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stampOwner } from '../../src/engine/plan/ownership.js';
import { createNamespace, testFleet, type ClusterHandle } from '../harness/context.js';
import { repoRoot, toolPath } from '../harness/tools.js';

function gitfleet(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, GITFLEET_KUSTOMIZE: toolPath('kustomize'), GITFLEET_HELM: toolPath('helm') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('gitfleet CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gitfleet-cli-'));
  writeFileSync(
    join(dir, 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cli-cm\ndata:\n  color: blue\n',
  );
  writeFileSync(
    join(dir, 'secret.yaml'),
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: cli-secret\nstringData:\n  token: cli-plaintext-token\n',
  );

  it('renders a local directory offline', () => {
    const r = gitfleet(['render', dir, '-o', 'json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { items: { kind: string; metadata: { name: string } }[] };
    expect(list.items.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/cli-cm',
      'Secret/cli-secret',
    ]);
  });

  it('fails rendering with the file and line', () => {
    const bad = mkdtempSync(join(tmpdir(), 'gitfleet-cli-bad-'));
    writeFileSync(join(bad, 'x.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n');
    const r = gitfleet(['render', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/x\.yaml:1.*metadata\.name/);
  });

  it('diffs against a cluster without changing it and never prints Secret values', async () => {
    const { clusters } = await testFleet();
    const c = clusters[1] as ClusterHandle;
    const ns = await createNamespace(c.admin, 'cli');
    const first = gitfleet(['diff', dir, '--kubeconfig', c.kubeconfig, '-n', ns]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain(`ConfigMap/${ns}/cli-cm`);
    expect(first.stdout + first.stderr).not.toContain('cli-plaintext-token');
    expect(
      await c.admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'cli-cm' }),
    ).toBeUndefined();

    // As gitfleet itself would have applied it for app cli/x: then there is nothing to show.
    await c.admin.apply(
      stampOwner(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'cli-cm', namespace: ns },
          data: { color: 'blue' },
        },
        'cli/x',
      ),
      { fieldManager: 'gitfleet' },
    );
    const same = gitfleet(['diff', dir, '--kubeconfig', c.kubeconfig, '-n', ns, '--app', 'cli/x']);
    expect(same.stdout).not.toContain(`ConfigMap/${ns}/cli-cm`);
  });

  it('explains wrong usage with exit code 2', () => {
    const r = gitfleet(['app', 'frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: gitfleet app');
  });
});
