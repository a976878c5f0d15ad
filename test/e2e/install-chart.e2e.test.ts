import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/kube/index.js';
import { testFleet, type ClusterHandle } from '../harness/context.js';
import { repoRoot, toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

/**
 * The Helm chart of deploy/chart/gitfleet: lint, the plain manifests rendered from it, server-side
 * dry-run, and a real install into a harness cluster whose hub Deployment becomes Available (kwok
 * makes the Pods Ready; nothing runs the image here: install-image.e2e.test.ts runs the image).
 */
const chart = join(repoRoot, 'deploy', 'chart', 'gitfleet');
const NS = 'gitfleet-system';
let cluster: ClusterHandle;

function helm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(toolPath('helm'), args, {
    encoding: 'utf8',
    env: { ...process.env, HELM_CACHE_HOME: '/tmp/gitfleet-helm-cache' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    cwd: repoRoot,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const docs = (text: string): KubeObject[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);

const AGENT_VALUES = [
  '--set',
  'mode=agent',
  '--set',
  'agent.hubUrl=https://HUB_URL',
  '--set',
  'agent.cluster=CLUSTER_NAME',
];

beforeAll(async () => {
  const fleet = await testFleet();
  // The last cluster: the hub tests keep their Clusters and tokens in the first one's gitfleet-system.
  cluster = fleet.clusters[fleet.clusters.length - 1] as ClusterHandle;
});

afterAll(() => {
  if (cluster) helm('uninstall', 'gitfleet', '--namespace', NS, '--kubeconfig', cluster.kubeconfig, '--wait');
});

describe('the gitfleet chart', () => {
  it('passes helm lint in hub and agent mode', () => {
    for (const extra of [[], AGENT_VALUES]) {
      const r = helm('lint', chart, '--namespace', NS, ...extra);
      expect(r.stderr + r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(r.status).toBe(0);
    }
  });

  it('renders exactly the plain manifests in deploy/manifests (run deploy/render.sh after editing the chart)', () => {
    const hub = helm('template', 'gitfleet', chart, '--namespace', NS);
    expect(hub.status).toBe(0);
    expect(hub.stdout).toBe(readFileSync(join(repoRoot, 'deploy/manifests/hub.yaml'), 'utf8'));
    const agent = helm('template', 'gitfleet', chart, '--namespace', NS, ...AGENT_VALUES);
    expect(agent.status).toBe(0);
    expect(agent.stdout).toBe(readFileSync(join(repoRoot, 'deploy/manifests/agent.yaml'), 'utf8'));
    // The chart's copy of the CRDs is the one generated from src/api.
    const crds = readdirSync(join(repoRoot, 'deploy/crds')).sort();
    expect(readdirSync(join(chart, 'crds')).sort()).toEqual(crds);
    for (const f of crds)
      expect(readFileSync(join(chart, 'crds', f), 'utf8'), f).toBe(
        readFileSync(join(repoRoot, 'deploy/crds', f), 'utf8'),
      );
  });

  it('refuses bad values with an error naming the value', () => {
    const wrongNs = helm('template', 'gitfleet', chart, '--namespace', 'default');
    expect(wrongNs.status).not.toBe(0);
    expect(wrongNs.stderr).toMatch(/namespace gitfleet-system/);
    const badAudit = helm('template', 'gitfleet', chart, '--namespace', NS, '--set', 'audit.store=s3');
    expect(badAudit.stderr).toMatch(/audit\.store must be embedded, postgres or off, not "s3"/);
    const noHub = helm('template', 'gitfleet', chart, '--namespace', NS, '--set', 'mode=agent');
    expect(noHub.stderr).toMatch(/agent\.hubUrl is required/);
  });

  it('hardens every pod: non-root, read-only root filesystem, no privilege escalation, probes and resources', () => {
    for (const text of [
      readFileSync(join(repoRoot, 'deploy/manifests/hub.yaml'), 'utf8'),
      readFileSync(join(repoRoot, 'deploy/manifests/agent.yaml'), 'utf8'),
    ]) {
      const dep = docs(text).find((o) => o.kind === 'Deployment') as KubeObject;
      const pod = (dep.spec as { template: { spec: Record<string, unknown> } }).template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
      const c = (pod.containers as Record<string, unknown>[])[0] as Record<string, unknown>;
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      expect(c.readinessProbe).toBeTruthy();
      expect(c.livenessProbe).toBeTruthy();
      expect((c.resources as { limits?: { memory?: string } }).limits?.memory).toBeTruthy();
    }
    // The hub's write rights on Secrets are a namespaced Role, never a ClusterRole.
    const hub = docs(readFileSync(join(repoRoot, 'deploy/manifests/hub.yaml'), 'utf8'));
    const clusterRole = hub.find((o) => o.kind === 'ClusterRole') as KubeObject & {
      rules: { resources: string[]; verbs: string[] }[];
    };
    for (const r of clusterRole.rules.filter((x) => x.resources.includes('secrets')))
      expect(r.verbs).toEqual(['get', 'list', 'watch']);
    expect(hub.map((o) => o.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'Deployment',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
  });

  it('passes a server-side dry-run, installs, and the hub Deployment becomes Available with its version shown', async () => {
    // Dry-run first, object by object (the namespace must exist for namespaced objects).
    await cluster.admin.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      { fieldManager: 'test' },
    );
    for (const o of docs(readFileSync(join(repoRoot, 'deploy/manifests/hub.yaml'), 'utf8')))
      await cluster.admin.apply(o, { fieldManager: 'gitfleet-test', dryRun: true });
    expect(
      await cluster.admin.getOrUndefined({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: NS,
        name: 'gitfleet-hub',
      }),
    ).toBeUndefined();

    const r = helm(
      'install',
      'gitfleet',
      chart,
      '--namespace',
      NS,
      '--kubeconfig',
      cluster.kubeconfig,
      '--set',
      'hub.replicas=2',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const dep = await waitFor(
      'the hub Deployment Available with 2 ready replicas',
      async () => {
        const d = await cluster.admin.get({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: NS,
          name: 'gitfleet-hub',
        });
        const s = d.status as
          { readyReplicas?: number; conditions?: { type: string; status: string }[] } | undefined;
        return s?.readyReplicas === 2 &&
          s.conditions?.some((c) => c.type === 'Available' && c.status === 'True')
          ? d
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(dep.metadata.labels?.['app.kubernetes.io/version']).toBe('0.1.0');
    const v = cli('version', '--kubeconfig', cluster.kubeconfig);
    expect(v.stderr).toBe('');
    expect(v.stdout).toMatch(/^gitfleet 0\.1\.0\nhub: 0\.1\.0/);
    expect(v.status).toBe(0);
  });
});
