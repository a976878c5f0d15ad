import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/kube/index.js';
import { uniqueName } from '../harness/context.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { configMap } from './engine-fixture.js';

describe('controller: managedNamespaceMetadata on the namespace CreateNamespace=true creates', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await startTenant('eng-nsmeta');
  }, 120_000);
  afterAll(() => t?.stop());

  it('creates the namespace with the labels and annotations it names', async () => {
    const target = uniqueName('eng-nsmeta-created');
    const { name } = await t.createApp(
      { 'cm.yaml': JSON.stringify(configMap('settings', { a: '1' })) },
      {},
      {
        destination: { namespace: target },
        syncPolicy: {
          automated: { prune: true },
          syncOptions: ['CreateNamespace=true'],
          managedNamespaceMetadata: {
            labels: { 'pod-security.kubernetes.io/enforce': 'restricted', team: 'shop' },
            annotations: { 'example.com/owner': 'shop-team' },
          },
        },
      },
    );
    const deadline = Date.now() + 45_000;
    let app: Application;
    for (;;) {
      app = await t.getApp(name);
      if (app.status?.operationState?.phase === 'Succeeded') break;
      if (Date.now() > deadline) throw new Error(`not synced: ${JSON.stringify(app.status ?? {})}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Accepted, not refused by name as before.
    expect(app.status?.conditions?.find((c) => c.type === 'InvalidSpecError')).toBeUndefined();
    const ns = await t.hub.admin.get<KubeObject>({ apiVersion: 'v1', kind: 'Namespace', name: target });
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      team: 'shop',
    });
    expect(ns.metadata.annotations?.['example.com/owner']).toBe('shop-team');
    expect(
      await t.hub.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: target,
        name: 'settings',
      }),
    ).toBeDefined();
  }, 90_000);
});
