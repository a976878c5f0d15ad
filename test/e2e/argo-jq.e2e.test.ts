import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/index.js';
import type { ClusterHandle } from '../harness/context.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

// Argo CD's ignoreDifferences[].jqPathExpressions through the real controller, Git server, jq and
// apiserver (issue 21): a field the expression selects may drift without the app going OutOfSync;
// any other field still shows.

let hub: ClusterHandle;
let tenant: Tenant;

beforeAll(async () => {
  tenant = await startTenant('argo-jq');
  ({ hub } = tenant);
});

afterAll(() => {
  tenant?.stop();
});

const POD_SPEC = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - { name: proxy, image: "envoy:1" }
        - name: web
          image: "nginx:1.25"
          env: [{ name: TUNED, value: "git" }]
`;

describe('Argo CD ignoreDifferences jqPathExpressions', () => {
  it('hides exactly the fields a select() expression picks; other drift is still seen', async () => {
    const a = await tenant.createApp(
      { 'app/deploy.yaml': POD_SPEC },
      { path: 'app' },
      {
        ignoreDifferences: [
          {
            group: 'apps',
            kind: 'Deployment',
            jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "web") | .env'],
          },
        ],
      },
    );
    const synced = (x: Awaited<ReturnType<Tenant['getApp']>>): boolean =>
      x.status?.sync?.status === 'Synced' && x.status?.operationState?.phase === 'Succeeded';
    await waitFor('app synced', async () => synced(await tenant.getApp(a.name)), {
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    // Another manager changes the env of "web" (as an operator or a mutating webhook would) and,
    // in the same write, the image of "proxy": only the image may show in the diff.
    const path = `/apis/apps/v1/namespaces/${a.destNs}/deployments/web`;
    await hub.admin.request({
      method: 'PATCH',
      path,
      body: [
        { op: 'replace', path: '/spec/template/spec/containers/1/env/0/value', value: 'tuned-live' },
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'envoy:2' },
      ],
      contentType: 'application/json-patch+json',
    });
    const app = await waitFor(
      'OutOfSync on the proxy image',
      async () => {
        const x = await tenant.getApp(a.name);
        return x.status?.sync?.status === 'OutOfSync' ? x : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const diff = (app.status?.resources ?? []).map((r) => (r as { diff?: string }).diff ?? '').join('\n');
    expect(diff).toContain('/spec/template/spec/containers/0/image');
    expect(diff).not.toContain('/env');
    expect(diff).not.toContain('tuned-live');
    // Put the image back by hand: with only the ignored env still different, the app is Synced
    // again, and the env keeps the live value (no selfHeal, nothing re-applied it).
    await hub.admin.request({
      method: 'PATCH',
      path,
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'envoy:1' }],
      contentType: 'application/json-patch+json',
    });
    await waitFor(
      'Synced with the ignored env drifted',
      async () => (await tenant.getApp(a.name)).status?.sync?.status === 'Synced',
      {
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    const live = await hub.admin.get<
      KubeObject & { spec: { template: { spec: { containers: { env?: { value: string }[] }[] } } } }
    >({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: a.destNs,
      name: 'web',
    });
    expect(live.spec.template.spec.containers[1]?.env?.[0]?.value).toBe('tuned-live');
  });
});
