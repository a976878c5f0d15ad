// The self-management exemption (src/governance/self-management.ts) lifts the protected-resource
// rules for gitfleet's own installation. An ApplicationSet must never mint it from values a tenant
// may control (Git files, cluster labels, list elements): only a literal "true" in the template
// counts. Variants beyond the plain templated value (test/e2e/applicationset): the annotation
// written by templatePatch, and its key produced by a parameter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/applicationset.js';
import { installCrds } from '../../src/cli/commands/install.js';
import type { KubeObject } from '../../src/kube/index.js';
import { createNamespace, testFleet, type ClusterHandle } from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

const KEY = 'gitfleet.dev/self-management';
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-self-mgmt-'));

beforeAll(async () => {
  const fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'self-mgmt');
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir,
    appsets: true,
  });
});

afterAll(() => {
  controllers?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

async function refused(name: string, spec: Record<string, unknown>): Promise<void> {
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name, namespace: ns },
    spec,
  } as KubeObject);
  const set = await waitFor(
    `${name}: error condition`,
    async () => {
      const s = await hub.admin.get<ApplicationSet>({
        apiVersion: API_VERSION,
        kind: 'ApplicationSet',
        namespace: ns,
        name,
      });
      return s.status?.conditions?.some((c) => c.type === 'ErrorOccurred' && c.status === 'True') && s;
    },
    { timeoutMs: 60_000 },
  );
  const msg = set.status?.conditions?.find((c) => c.type === 'ErrorOccurred')?.message ?? '';
  expect(msg).toContain(`metadata.annotations["${KEY}"]`);
  const apps = await hub.admin.list<Application>(API_VERSION, 'Application', {
    namespace: ns,
    labelSelector: `gitfleet.dev/applicationset=${name}`,
  });
  expect(apps.items).toEqual([]);
}

const source = { repoURL: 'http://git.invalid/x.git', path: '.' };

describe('an ApplicationSet cannot mint the self-management exemption from parameters', () => {
  it('refuses the annotation written by templatePatch from a parameter', async () => {
    await refused('patched', {
      goTemplate: true,
      generators: [{ list: { elements: [{ name: 'one', exempt: 'true' }] } }],
      template: {
        metadata: { name: 'patched-{{.name}}' },
        spec: { source, destination: { namespace: 'x' } },
      },
      templatePatch: `metadata:\n  annotations:\n    ${KEY}: "{{ .exempt }}"\n`,
    });
  });

  it('refuses the annotation whose key a parameter names', async () => {
    await refused('keyed', {
      goTemplate: true,
      generators: [{ list: { elements: [{ name: 'one', key: KEY }] } }],
      template: {
        metadata: { name: 'keyed-{{.name}}', annotations: { '{{.key}}': 'true' } },
        spec: { source, destination: { namespace: 'x' } },
      },
    });
  });
});
