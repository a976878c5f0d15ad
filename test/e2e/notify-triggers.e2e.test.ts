// Every trigger provoked for real on one fleet and received once: Created, SyncRunning,
// SyncSucceeded, Deployed, DriftDetected, SyncFailed, HealthDegraded, Deleted (Applications),
// AgentLost (an agent-mode Cluster falls silent); and per-team routing: team A's rule never sees
// team B's events, and a hub rule naming team B's Project sees only B's.
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { Notifier } from '../../src/controllers/notify/notifier.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { testFleet, uniqueName } from '../harness/context.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

interface Received {
  path: string;
  trigger: string;
  app: string;
  namespace: string;
  project: string;
  revision: string;
}

const GROUP = `${uniqueName('ntf').replace(/[^a-z0-9]/g, '')}.example.test`;
let teamA: Tenant;
let teamB: Tenant;
let notifier: Notifier;
let client: KubeClient;
let receiver: Server;
let base = '';
const got: Received[] = [];
const clusterName = uniqueName('agent-c');
const clusterLabel = uniqueName('lost');

const APP_TRIGGERS = [
  'Created',
  'Deleted',
  'Deployed',
  'SyncRunning',
  'SyncSucceeded',
  'SyncFailed',
  'HealthDegraded',
  'DriftDetected',
];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      got.push({ path: req.url ?? '', ...(JSON.parse(body) as Omit<Received, 'path'>) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const a = receiver.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  const fleet = await testFleet();
  client = new KubeClient(await loadConnection({ file: fleet.clusters[0]?.kubeconfig ?? '' }));
  notifier = new Notifier({ client, log: pino({ level: 'warn' }), baseDelayMs: 200 });
  [teamA, teamB] = await Promise.all([
    startTenant('ntf-a', { notifier }),
    startTenant('ntf-b', { notifier }),
  ]);
  const rule = (ns: string, name: string, path: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: API_VERSION,
    kind: 'NotificationRule',
    metadata: { name, namespace: ns },
    spec: { ...spec, destination: { webhook: { url: `${base}${path}` } } },
  });
  await teamA.hub.admin.create(rule(teamA.ns, 'team-a', '/a', { triggers: APP_TRIGGERS }));
  await teamB.hub.admin.create(rule(teamB.ns, 'team-b', '/b', { triggers: APP_TRIGGERS }));
  await teamA.hub.admin.create(
    rule(FLEET_NAMESPACE, uniqueName('ops-b'), '/ops-b', {
      triggers: ['SyncSucceeded'],
      projects: [teamB.project],
    }),
  );
  await teamA.hub.admin.create(
    rule(FLEET_NAMESPACE, uniqueName('ops-agents'), '/ops-agents', {
      triggers: ['AgentLost'],
      selector: { matchLabels: { 'e2e-lost': clusterLabel } },
    }),
  );
  await teamA.hub.admin.create({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `gadgets.${GROUP}` },
    spec: {
      group: GROUP,
      names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  } as KubeObject);
}, 120_000);

afterAll(async () => {
  teamA?.stop();
  teamB?.stop();
  await teamA?.hub.admin
    .delete({ apiVersion: API_VERSION, kind: 'Cluster', namespace: FLEET_NAMESPACE, name: clusterName })
    .catch(() => undefined);
  client?.close();
  await new Promise((r) => receiver?.close(r));
});

const of = (path: string, app: string, trigger?: string): Received[] =>
  got.filter((g) => g.path === path && g.app === app && (!trigger || g.trigger === trigger));

describe('notification triggers', () => {
  it('an app of team A: Created, SyncRunning, SyncSucceeded, Deployed, DriftDetected, Deleted, each once', async () => {
    const { name, destNs } = await teamA.createApp(
      { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  a: b\n' },
      {},
      { syncPolicy: { automated: { prune: true, selfHeal: true } } },
    );
    // SyncRunning is seen only when an operation's Running state is written before it ends (a
    // one-step sync may finish in the reconcile that started it), so it is not required here.
    await waitFor('Created, SyncSucceeded, Deployed', () => {
      if (['Created', 'SyncSucceeded', 'Deployed'].every((t) => of('/a', name, t).length > 0)) return true;
      throw new Error(
        `received: ${of('/a', name)
          .map((g) => g.trigger)
          .join(', ')}`,
      );
    });
    await teamA.hub.admin.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'watched', namespace: destNs },
        data: { a: 'x' },
      },
      { fieldManager: 'kubectl-edit', force: true },
    );
    await waitFor('DriftDetected', () => of('/a', name, 'DriftDetected').length > 0, { timeoutMs: 60_000 });
    await teamA.hub.admin.delete({ apiVersion: API_VERSION, kind: 'Application', namespace: teamA.ns, name });
    await waitFor('Deleted', () => of('/a', name, 'Deleted').length > 0, { timeoutMs: 60_000 });
    await notifier.drain();
    for (const t of ['Created', 'SyncSucceeded', 'Deployed', 'DriftDetected', 'Deleted'])
      expect(of('/a', name, t), t).toHaveLength(1);
    // The self-heal after the drift ran a second operation at the same revision: one SyncRunning per operation start.
    expect(of('/a', name, 'SyncRunning').length).toBeLessThanOrEqual(2);
    expect(of('/a', name).every((g) => g.project === teamA.project && g.namespace === teamA.ns)).toBe(true);
    expect(of('/a', name, 'Deleted')[0]?.revision).toMatch(/^[0-9a-f]{12}$/);
  });

  it('SyncFailed (a PreSync hook fails) and HealthDegraded (a resource reports Stalled)', async () => {
    const failing = await teamA.createApp(
      {
        'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-migrate\ndata:\n  a: b\n',
        'job.yaml': JSON.stringify({
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'migrate', annotations: { 'gitfleet.dev/hook': 'PreSync' } },
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: 2,
            template: {
              spec: {
                restartPolicy: 'Never',
                nodeSelector: { 'no-such-node': 'x' },
                containers: [{ name: 'run', image: 'busybox' }],
              },
            },
          },
        }),
      },
      {},
    );
    const degraded = await teamA.createApp(
      { 'g.yaml': `apiVersion: ${GROUP}/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  size: 1\n` },
      {},
    );
    await waitFor(
      'Gadget applied',
      async () =>
        (await teamA.hub.admin.getOrUndefined({
          apiVersion: `${GROUP}/v1`,
          kind: 'Gadget',
          namespace: degraded.destNs,
          name: 'g',
        })) !== undefined,
      { timeoutMs: 60_000 },
    );
    await teamA.hub.admin.request({
      method: 'PATCH',
      path: `/apis/${GROUP}/v1/namespaces/${degraded.destNs}/gadgets/g/status`,
      body: {
        status: { conditions: [{ type: 'Stalled', status: 'True', reason: 'NoCapacity', message: 'full' }] },
      },
      contentType: 'application/merge-patch+json',
    });
    await waitFor(
      'SyncFailed',
      async () => {
        if (of('/a', failing.name, 'SyncFailed').length > 0) return true;
        const app = await teamA.getApp(failing.name);
        throw new Error(
          `received: ${of('/a', failing.name)
            .map((g) => g.trigger)
            .join(
              ', ',
            )}; operation: ${JSON.stringify(app.status?.operationState?.phase)} ${app.status?.operationState?.message ?? ''}; conditions: ${JSON.stringify(app.status?.conditions ?? [])}`,
        );
      },
      { timeoutMs: 90_000 },
    );
    await waitFor('HealthDegraded', () => of('/a', degraded.name, 'HealthDegraded').length > 0, {
      timeoutMs: 90_000,
    });
    await notifier.drain();
    expect(of('/a', failing.name, 'SyncFailed')).toHaveLength(1);
    expect(of('/a', degraded.name, 'HealthDegraded')).toHaveLength(1);
  });

  it("team B's events reach B's rule and the hub rule naming B's Project, never team A's rule", async () => {
    const { name } = await teamB.createApp(
      { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  a: b\n' },
      {},
    );
    await waitFor(
      'B synced',
      () => of('/b', name, 'SyncSucceeded').length > 0 && of('/ops-b', name).length > 0,
    );
    await notifier.drain();
    expect(got.filter((g) => g.path === '/a' && g.namespace === teamB.ns)).toEqual([]);
    expect(got.filter((g) => g.path === '/b' && g.namespace !== teamB.ns)).toEqual([]);
    expect(got.filter((g) => g.path === '/ops-b').every((g) => g.project === teamB.project)).toBe(true);
    expect(of('/ops-b', name, 'SyncSucceeded')).toHaveLength(1);
  });

  it('AgentLost when an agent that had reported falls silent', async () => {
    await teamA.hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name: clusterName, namespace: FLEET_NAMESPACE, labels: { 'e2e-lost': clusterLabel } },
      spec: { mode: 'agent', server: 'https://agent.example.test' },
    } as KubeObject);
    const silentSince = new Date(Date.now() - 3_600_000).toISOString();
    // The agent reported an hour ago (written until the controller's first check no longer races it).
    await waitFor(
      'AgentLost',
      async () => {
        if (got.some((g) => g.path === '/ops-agents' && g.app === clusterName)) return true;
        const c = await teamA.hub.admin.get<
          KubeObject & { status?: { lastHeartbeat?: string; reachable?: boolean } }
        >({
          apiVersion: API_VERSION,
          kind: 'Cluster',
          namespace: FLEET_NAMESPACE,
          name: clusterName,
        });
        // Every e2e file's hub checks the shared Clusters, and some tests give theirs a notifier
        // that only records: when one of those marked it lost first, arm it again.
        if (c.status?.lastHeartbeat !== silentSince || c.status.reachable !== true)
          await teamA.hub.admin.request({
            method: 'PATCH',
            path: `/apis/${API_VERSION}/namespaces/${FLEET_NAMESPACE}/clusters/${clusterName}/status`,
            body: { status: { reachable: true, lastHeartbeat: silentSince } },
            contentType: 'application/merge-patch+json',
          });
        return false;
      },
      { timeoutMs: 150_000, intervalMs: 500 },
    );
    const lost = got.filter((g) => g.path === '/ops-agents');
    // Every hub process running now checks the shared Clusters (each e2e file has its own hub): all name this one.
    expect(lost.every((g) => g.app === clusterName && g.trigger === 'AgentLost')).toBe(true);
  }, 300_000);
});
