import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { assessHealth } from '../../src/engine/health/index.js';
import type { KubeObject } from '../../src/kube/index.js';
import type { ClusterHandle } from '../harness/context.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

// Health of the kinds fleets run (issue 17), against the real upstream CRDs (test/harness/crds,
// copied from their Go modules) in a harness apiserver. Their controllers do not run: each test
// writes status through the status subresource as the controller would, then checks gitfleet's
// reading of it, directly and through an Application's health.

const crdDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'harness', 'crds');
let tenant: Tenant;
let hub: ClusterHandle;

beforeAll(async () => {
  tenant = await startTenant('health');
  ({ hub } = tenant);
  const files = [
    'bitnami.com_sealedsecrets.yaml',
    'external-secrets.io_externalsecrets.yaml',
    'cert-manager.io_certificates.yaml',
    'argoproj.io_rollouts.yaml',
    'argoproj.io_analysisruns.yaml',
  ];
  const crds: KubeObject[] = [];
  for (const f of files)
    for (const d of parseAllDocuments(readFileSync(join(crdDir, f), 'utf8'))) {
      const o = d.toJS() as KubeObject | null;
      if (o?.kind === 'CustomResourceDefinition') crds.push(o);
    }
  // Flagger's upstream file (unchanged from its module zip) indents the continuation lines of its
  // quoted multi-line descriptions at the key's own column: invalid for the YAML spec (they must be
  // indented further), which the \`yaml\` package enforces and Go's yaml parsers (Kubernetes',
  // kustomize's) tolerate. kustomize re-emits it in a form every parser reads.
  const flagger = execFileSync(toolPath('kustomize'), ['build', '--', flaggerKustomization()], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  for (const d of parseAllDocuments(flagger)) {
    const o = d.toJS() as KubeObject | null;
    if (o?.kind === 'CustomResourceDefinition') crds.push(o);
  }
  for (const crd of crds) await hub.admin.apply(crd, { fieldManager: 'health-e2e', force: true });
  for (const crd of crds)
    await waitFor(
      `CRD ${crd.metadata.name} established`,
      async () => {
        const live = await hub.admin.get<KubeObject>({
          apiVersion: crd.apiVersion,
          kind: crd.kind,
          name: crd.metadata.name,
        });
        return assessHealth(live)?.status === 'Healthy';
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
  hub.admin.invalidateDiscovery();
}, 180_000);

afterAll(() => {
  tenant?.stop();
  if (kzDir) rmSync(kzDir, { recursive: true, force: true });
});

let kzDir: string | undefined;
/** A kustomization holding a copy of Flagger's CRD file, for \`kustomize build\`. */
function flaggerKustomization(): string {
  kzDir = mkdtempSync(join(tmpdir(), 'gitfleet-health-flagger-'));
  copyFileSync(join(crdDir, 'flagger_crds.yaml'), join(kzDir, 'flagger_crds.yaml'));
  writeFileSync(join(kzDir, 'kustomization.yaml'), 'resources:\n  - flagger_crds.yaml\n');
  return kzDir;
}

/** Creates `obj` in the tenant namespace, writes `status` as its controller would, reads it back. */
async function withStatus(obj: KubeObject, status: Record<string, unknown>): Promise<KubeObject> {
  const o = { ...obj, metadata: { ...obj.metadata, namespace: tenant.ns } };
  const ref = { apiVersion: o.apiVersion, kind: o.kind, namespace: tenant.ns, name: o.metadata.name };
  if (!(await hub.admin.getOrUndefined(ref))) await hub.admin.create(o);
  await patchStatus(ref, status);
  return hub.admin.get<KubeObject>(ref);
}

/** Writes status as the controller would: the status subresource, or the object for CRDs without one (AnalysisRun). */
async function patchStatus(
  ref: { apiVersion: string; kind: string; namespace: string; name: string },
  status: Record<string, unknown>,
): Promise<void> {
  if (ref.kind === 'AnalysisRun') await hub.admin.patch(ref, { status });
  else await hub.admin.patch(ref, { status }, { subresource: 'status' });
}
const now = new Date().toISOString();
const cond = (type: string, status: string, reason = 'Test', message = '') => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: now,
});

describe('health of upstream kinds through their real CRDs', { timeout: 300_000 }, () => {
  it('SealedSecret, ExternalSecret, Certificate, Rollout and AnalysisRun read as their controllers report', async () => {
    const sealed = {
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: { name: 's1' },
      spec: { encryptedData: { a: 'AgB' } },
    };
    expect(
      assessHealth(
        await withStatus(sealed, {
          conditions: [cond('Synced', 'False', 'ErrUnsealFailed', 'no key could decrypt secret')],
        }),
      )?.status,
    ).toBe('Degraded');
    expect(assessHealth(await withStatus(sealed, { conditions: [cond('Synced', 'True')] }))?.status).toBe(
      'Healthy',
    );

    const es = {
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ExternalSecret',
      metadata: { name: 'es1' },
      spec: { secretStoreRef: { name: 'store', kind: 'SecretStore' }, target: { name: 'x' }, data: [] },
    };
    expect(
      assessHealth(await withStatus(es, { conditions: [cond('Ready', 'False', 'SecretSyncedError')] }))
        ?.status,
    ).toBe('Degraded');
    expect(
      assessHealth(await withStatus(es, { conditions: [cond('Ready', 'True', 'SecretSynced')] }))?.status,
    ).toBe('Healthy');

    const cert = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'c1' },
      spec: { secretName: 'tls', dnsNames: ['a.example'], issuerRef: { name: 'i' } },
    };
    expect(
      assessHealth(await withStatus(cert, { conditions: [cond('Ready', 'True'), cond('Issuing', 'True')] }))
        ?.status,
    ).toBe('Progressing');
    expect(assessHealth(await withStatus(cert, { conditions: [cond('Ready', 'True')] }))?.status).toBe(
      'Healthy',
    );

    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'r1' },
      spec: {
        selector: { matchLabels: { app: 'r1' } },
        template: {
          metadata: { labels: { app: 'r1' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
        strategy: { canary: { steps: [{ pause: {} }] } },
      },
    };
    expect(
      assessHealth(
        await withStatus(rollout, {
          observedGeneration: '1',
          phase: 'Degraded',
          message: 'ProgressDeadlineExceeded',
        }),
      )?.status,
    ).toBe('Degraded');
    expect(
      assessHealth(await withStatus(rollout, { observedGeneration: '1', phase: 'Healthy' }))?.status,
    ).toBe('Healthy');

    const run = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisRun',
      metadata: { name: 'ar1' },
      spec: {
        metrics: [{ name: 'm', provider: { job: { spec: { template: { spec: { containers: [] } } } } } }],
      },
    };
    expect(assessHealth(await withStatus(run, { phase: 'Failed', message: 'metric m failed' }))?.status).toBe(
      'Degraded',
    );

    const canary = {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'cn1' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        service: { port: 80 },
        analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10 },
      },
    };
    expect(
      assessHealth(
        await withStatus(canary, { phase: 'Progressing', conditions: [cond('Promoted', 'Unknown')] }),
      )?.status,
    ).toBe('Progressing');
    expect(
      assessHealth(await withStatus(canary, { phase: 'Failed', conditions: [cond('Promoted', 'False')] }))
        ?.status,
    ).toBe('Degraded');
    expect(
      assessHealth(await withStatus(canary, { phase: 'Succeeded', conditions: [cond('Promoted', 'True')] }))
        ?.status,
    ).toBe('Healthy');
  });

  it("an Application holding an ExternalSecret is Healthy only once the ExternalSecret's Ready is True", async () => {
    const es = `apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: { name: db }
spec:
  secretStoreRef: { name: vault, kind: SecretStore }
  target: { name: db }
  data: []
`;
    const a = await tenant.createApp({ 'app/es.yaml': es }, { path: 'app' });
    const ref = {
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ExternalSecret',
      namespace: a.destNs,
      name: 'db',
    };
    await waitFor('ExternalSecret applied', () => hub.admin.getOrUndefined(ref), {
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    await waitFor(
      'app Progressing while the operator has not reported',
      async () => (await tenant.getApp(a.name)).status?.health?.status === 'Progressing',
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await hub.admin.patch(
      ref,
      { status: { conditions: [cond('Ready', 'True', 'SecretSynced')] } },
      { subresource: 'status' },
    );
    await waitFor(
      'app Healthy after Ready=True',
      async () => (await tenant.getApp(a.name)).status?.health?.status === 'Healthy',
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  it('a wave holding an ExternalSecret waits until it is Ready before the next wave', async () => {
    const files = {
      'app/es.yaml': `apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: creds
  annotations: { gitfleet.dev/sync-wave: "0" }
spec:
  secretStoreRef: { name: vault, kind: SecretStore }
  target: { name: creds }
  data: []
`,
      'app/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: after
  annotations: { gitfleet.dev/sync-wave: "1" }
data: { a: "1" }
`,
    };
    const a = await tenant.createApp(files, { path: 'app' });
    const es = {
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ExternalSecret',
      namespace: a.destNs,
      name: 'creds',
    };
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: a.destNs, name: 'after' };
    await waitFor('wave 0 applied', () => hub.admin.getOrUndefined(es), {
      timeoutMs: 90_000,
      intervalMs: 300,
    });
    // Several reconciles pass while the ExternalSecret has no Ready: wave 1 must not start.
    await waitFor(
      'the sync waiting on wave 0',
      async () => {
        const op = (await tenant.getApp(a.name)).status?.operationState;
        return op?.phase === 'Running' || undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect(await hub.admin.getOrUndefined(cm)).toBeUndefined();
    await hub.admin.patch(
      es,
      { status: { conditions: [cond('Ready', 'True', 'SecretSynced')] } },
      { subresource: 'status' },
    );
    await waitFor('wave 1 applied once wave 0 is Ready', () => hub.admin.getOrUndefined(cm), {
      timeoutMs: 60_000,
      intervalMs: 300,
    });
  });

  it('an app-of-apps parent becomes Healthy only after its child Application is', async () => {
    const childRepo = `health-child-${Date.now().toString(36)}`;
    await tenant.fleet.git.createRepo(childRepo);
    await tenant.fleet.git.commit(childRepo, {
      'es.yaml': `apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: { name: child-db }
spec:
  secretStoreRef: { name: vault, kind: SecretStore }
  target: { name: child-db }
  data: []
`,
    });
    const childDest = `${tenant.ns}-child`.slice(0, 63);
    await hub.admin.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: childDest } },
      { fieldManager: 'health-e2e' },
    );
    const child = `apiVersion: gitfleet.dev/v1alpha1
kind: Application
metadata: { name: child }
spec:
  project: ${tenant.project}
  source: { repoURL: "${tenant.fleet.git.repoUrl(childRepo)}", secretRef: { name: ${tenant.credentials} } }
  destination: { namespace: ${childDest} }
  syncPolicy: { automated: { prune: true } }
`;
    const parent = await tenant.createApp(
      { 'apps/child.yaml': child },
      { path: 'apps' },
      { destination: { namespace: tenant.ns } },
    );
    await waitFor(
      'child Application created by the parent',
      () => tenant.getApp('child').catch(() => undefined),
      {
        timeoutMs: 90_000,
        intervalMs: 300,
      },
    );
    const es = {
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ExternalSecret',
      namespace: childDest,
      name: 'child-db',
    };
    await waitFor('child synced its ExternalSecret', () => hub.admin.getOrUndefined(es), {
      timeoutMs: 90_000,
      intervalMs: 300,
    });
    await waitFor(
      'parent Progressing while the child is',
      async () => {
        const [p, c] = [await tenant.getApp(parent.name), await tenant.getApp('child')];
        return c.status?.health?.status === 'Progressing' && p.status?.health?.status === 'Progressing';
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    await hub.admin.patch(
      es,
      { status: { conditions: [cond('Ready', 'True', 'SecretSynced')] } },
      { subresource: 'status' },
    );
    await waitFor(
      'child Healthy, then the parent',
      async () => (await tenant.getApp(parent.name)).status?.health?.status === 'Healthy',
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect((await tenant.getApp('child')).status?.health?.status).toBe('Healthy');
  });

  it('a CEL rule in the cluster-wide ConfigMap marks a custom kind Degraded', async () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'gitfleet-health-checks', namespace: FLEET_NAMESPACE },
      data: {
        healthCheckExprs: `- apiVersion: argoproj.io/v1alpha1
  kind: AnalysisRun
  failed: "status.?phase.orValue('') == 'Inconclusive'"
  current: "status.?phase.orValue('') == 'Successful'"
`,
      },
    };
    await hub.admin.apply(cm as KubeObject, { fieldManager: 'health-e2e', force: true });
    const run = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata: { name: judged }
spec:
  metrics:
    - name: m
      provider: { job: { spec: { template: { spec: { containers: [] } } } } }
`;
    const a = await tenant.createApp({ 'app/run.yaml': run }, { path: 'app' });
    const ref = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisRun',
      namespace: a.destNs,
      name: 'judged',
    };
    await waitFor('AnalysisRun applied', () => hub.admin.getOrUndefined(ref), {
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    // The built-in reads Inconclusive as Suspended; the rule says Degraded.
    await patchStatus(ref, { phase: 'Inconclusive' });
    const app = await waitFor(
      'app Degraded by the CEL rule',
      async () => {
        const x = await tenant.getApp(a.name);
        return x.status?.health?.status === 'Degraded' ? x : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(app.status?.health?.message).toContain('failed');

    // The Project's rule wins over the ConfigMap's for its apps: Inconclusive is fine for this team.
    await hub.admin.patch(
      { apiVersion: API_VERSION, kind: 'Project', namespace: FLEET_NAMESPACE, name: tenant.project },
      {
        spec: {
          healthCheckExprs: [
            {
              apiVersion: 'argoproj.io/v1alpha1',
              kind: 'AnalysisRun',
              current: "status.?phase.orValue('') in ['Successful', 'Inconclusive']",
            },
          ],
        },
      },
    );
    await waitFor(
      "app Healthy by the Project's rule",
      async () => (await tenant.getApp(a.name)).status?.health?.status === 'Healthy',
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await hub.admin.patch(
      { apiVersion: API_VERSION, kind: 'Project', namespace: FLEET_NAMESPACE, name: tenant.project },
      { spec: { healthCheckExprs: null } },
    );
    await hub.admin.delete({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: FLEET_NAMESPACE,
      name: 'gitfleet-health-checks',
    });
  }, 300_000);
});
