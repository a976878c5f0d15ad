import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterHandle, TestFleet } from '../harness/context.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

// The renderers against the real controller, real Git server, real kustomize/helm and a real
// apiserver: changes outside the app path are applied (issue 13 item 6), and values a tenant
// writes never become options of helm or kustomize (items 1 and 2).

let fleet: TestFleet;
let hub: ClusterHandle;
let tenant: Tenant;
let getApp: Tenant['getApp'];
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-render-sec-files-'));

beforeAll(async () => {
  tenant = await startTenant('render-sec');
  ({ fleet, hub, getApp } = tenant);
});

afterAll(() => {
  tenant?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const configMapData = async (namespace: string, name: string): Promise<Record<string, string> | undefined> =>
  (await hub.admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name }))?.data as
    Record<string, string> | undefined;

const cm = (name: string, data: Record<string, string>): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata: ${JSON.stringify(data)}\n`;

/** Waits until the app's RenderFailed condition holds and returns its message. */
async function renderFailure(name: string): Promise<string> {
  return waitFor(
    `${name}: RenderFailed`,
    async () => (await getApp(name)).status?.conditions?.find((c) => c.type === 'RenderFailed')?.message,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}

describe('render cache: changes outside the app path are applied', () => {
  it('kustomize: a change to ../base in a new commit reaches the cluster', async () => {
    const a = await tenant.createApp(
      {
        'apps/web/overlay/kustomization.yaml': 'resources: [../base]\nnamePrefix: prod-\n',
        'apps/web/base/kustomization.yaml': 'resources: [cm.yaml]\n',
        'apps/web/base/cm.yaml': cm('settings', { color: 'blue' }),
      },
      { path: 'apps/web/overlay' },
    );
    await waitFor('blue', async () => (await configMapData(a.destNs, 'prod-settings'))?.color === 'blue', {
      timeoutMs: 60_000,
    });
    // The overlay's own tree is unchanged by this commit: only ../base differs.
    const sha = await fleet.git.commit(a.repo, {
      'apps/web/base/cm.yaml': cm('settings', { color: 'green' }),
    });
    await waitFor('green', async () => (await configMapData(a.destNs, 'prod-settings'))?.color === 'green', {
      timeoutMs: 60_000,
    });
    await waitFor(
      'Synced at the new commit',
      async () => {
        const s = (await getApp(a.name)).status?.sync;
        return s?.status === 'Synced' && s.revision === sha;
      },
      { timeoutMs: 30_000 },
    );
  });

  it('helm: a change to a value file outside the chart directory reaches the cluster', async () => {
    const a = await tenant.createApp(
      {
        'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
        'charts/web/templates/cm.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\ndata:\n  color: {{ .Values.color | quote }}\n',
        'values/prod.yaml': 'color: blue\n',
      },
      { path: 'charts/web', helm: { releaseName: 'web', valueFiles: ['../../values/prod.yaml'] } },
    );
    await waitFor('blue', async () => (await configMapData(a.destNs, 'web-settings'))?.color === 'blue', {
      timeoutMs: 60_000,
    });
    await fleet.git.commit(a.repo, { 'values/prod.yaml': 'color: green\n' });
    await waitFor('green', async () => (await configMapData(a.destNs, 'web-settings'))?.color === 'green', {
      timeoutMs: 60_000,
    });
  });
});

describe('argv: tenant values never become options', () => {
  const marker = join(dir, 'post-renderer-ran');
  // A repository-relative script that would create the marker if helm ever ran it.
  const postRenderer = `#!/bin/sh\ntouch '${marker}'\ncat\n`;
  const chart = {
    'Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rendered\ndata: {a: b}\n',
  };
  const chartAt = (path: string): Record<string, string> =>
    Object.fromEntries(Object.entries(chart).map(([f, v]) => [`${path}/${f}`, v]));

  it('helm.releaseName `--post-renderer=…` is refused, naming the field; nothing runs', async () => {
    const a = await tenant.createApp(
      { ...chartAt('chart'), 'pr.sh': postRenderer },
      { path: 'chart', helm: { releaseName: `--post-renderer=${join(dir, 'pr.sh')}` } },
    );
    const message = await renderFailure(a.name);
    expect(message).toContain('helm.releaseName');
    expect(message).toContain('not a valid Helm release name');
    expect(existsSync(marker)).toBe(false);
  });

  it('an app path whose last segment is `--post-renderer=sh` (as from a directory generator) never reaches argv', async () => {
    // The release is named after the Application (Argo CD's default), and the chart path is an
    // absolute path after `--`: the directory name is data. (helm.test.ts proves the renderer
    // refuses it as a release name when a caller defaults to it.)
    const a = await tenant.createApp(chartAt('apps/--post-renderer=sh'), {
      path: 'apps/--post-renderer=sh',
      helm: {},
    });
    await waitFor('rendered', async () => (await configMapData(a.destNs, 'rendered')) !== undefined, {
      timeoutMs: 60_000,
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('a helm value file named like an option is read as a file', async () => {
    const a = await tenant.createApp(
      { ...chartAt('chart'), 'chart/--post-renderer=sh': 'a: 1\n' },
      { path: 'chart', helm: { releaseName: 'web', valueFiles: ['--post-renderer=sh'] } },
    );
    await waitFor('rendered', async () => (await configMapData(a.destNs, 'rendered')) !== undefined, {
      timeoutMs: 60_000,
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('a kustomize app path `--output=/abs/file` is a directory, and nothing is written there', async () => {
    const target = join(dir, 'written-by-kustomize.yaml');
    const path = `--output=${target}`;
    const a = await tenant.createApp(
      {
        [`${path}/kustomization.yaml`]: 'resources: [cm.yaml]\n',
        [`${path}/cm.yaml`]: cm('from-odd-path', { a: 'b' }),
      },
      { path },
    );
    await waitFor('applied', async () => (await configMapData(a.destNs, 'from-odd-path')) !== undefined, {
      timeoutMs: 60_000,
    });
    expect(existsSync(target)).toBe(false);
  });

  it('a remote kustomize base is refused, naming the kustomization and the entry', async () => {
    const a = await tenant.createApp(
      {
        'app/kustomization.yaml': `resources:\n  - ${fleet.git.repoUrl('anything')}//base?ref=main\n`,
      },
      { path: 'app' },
    );
    const message = await renderFailure(a.name);
    expect(message).toContain('app/kustomization.yaml');
    expect(message).toContain('remote resource');
  });
});
