import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/applicationset.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { Notifier } from '../../src/controllers/notify/notifier.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { pino } from 'pino';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { repoRoot } from '../harness/tools.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';
import type { FleetMatrix } from '../../src/api/wire.js';
import { startHubServer } from '../../src/hub/server.js';

let fleet: TestFleet;
let hub: ClusterHandle;
let other: ClusterHandle;
let ns: string;
let controllers: TestControllers;
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-rollout-'));
// The roll-out's own triggers (issue 22) travel the real path: the controller's event, the real
// Notifier, a NotificationRule in the team's namespace, and an HTTP webhook receiver.
let notifier: Notifier;
let client: KubeClient;
let receiver: Server;
const got: { trigger: string; app: string; revision: string }[] = [];

beforeAll(async () => {
  fleet = await testFleet();
  [hub, other] = fleet.clusters as [ClusterHandle, ClusterHandle];
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'rollout');
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      got.push(JSON.parse(body) as (typeof got)[number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const addr = receiver.address();
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'NotificationRule',
    metadata: { name: 'rollouts', namespace: ns },
    spec: {
      triggers: ['ApprovalWaiting', 'RolloutHalted'],
      destination: {
        webhook: { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook` },
      },
    },
  } as KubeObject);
  client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  notifier = new Notifier({ client, log: pino({ level: 'warn' }), baseDelayMs: 200 });
  controllers = await startControllers({
    notifier,
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir,
    apps: true,
    appsets: true,
    pollIntervalMs: 1000,
    fetchIntervalMs: 500,
  });
});

afterAll(async () => {
  controllers?.stop();
  client?.close();
  await new Promise((r) => receiver?.close(r));
  rmSync(cacheDir, { recursive: true, force: true });
});

function cli(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args, '--kubeconfig', hub.kubeconfig, '-n', ns],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

const files = (version: string, broken = false): Record<string, string> => ({
  'app/cm.yaml': JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'version' },
    data: { v: version },
  }),
  'app/deploy.yaml': JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      progressDeadlineSeconds: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', version } },
        spec: {
          ...(broken ? { nodeSelector: { 'no-such-node': 'x' } } : {}),
          containers: [{ name: 'c', image: 'nginx' }],
        },
      },
    },
  }),
});

describe('progressive roll-out', () => {
  it('rolls a revision out step by step, waits for approval, and halts on a Degraded app', async () => {
    const mark = uniqueName('roll');
    const names = { dev: uniqueName('dev'), staging: uniqueName('staging'), prod: uniqueName('prod') };
    await registerCluster(hub.admin, {
      name: names.dev,
      connection: await loadConnection({ file: hub.kubeconfig }),
      labels: { roll: mark, env: 'dev' },
    });
    for (const env of ['staging', 'prod'] as const) {
      await registerCluster(hub.admin, {
        name: names[env],
        connection: await loadConnection({ file: other.kubeconfig }),
        labels: { roll: mark, env },
      });
    }
    const repo = uniqueName('svc');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, files('1'));
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'repo', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      metadata: { name: 'web', namespace: ns },
      spec: {
        generators: [{ clusters: { selector: { matchLabels: { roll: mark } } } }],
        template: {
          metadata: { name: 'web-{{metadata.labels.env}}' },
          spec: {
            source: {
              repoURL: fleet.git.repoUrl(repo),
              targetRevision: 'main',
              path: 'app',
              secretRef: { name: 'repo' },
            },
            destination: { name: '{{name}}', namespace: '{{name}}' },
            syncPolicy: {
              automated: { prune: true, selfHeal: true },
              syncOptions: ['CreateNamespace=true'],
              retry: { limit: 0 },
            },
          },
        },
        strategy: {
          type: 'RollingSync',
          rollingSync: {
            steps: [
              { clusterSelector: { matchLabels: { env: 'dev' } } },
              { clusterSelector: { matchLabels: { env: 'staging' } } },
              { clusterSelector: { matchLabels: { env: 'prod' } }, approval: true },
            ],
          },
        },
      },
    } as KubeObject);

    const set = (): Promise<ApplicationSet> =>
      hub.admin.get<ApplicationSet>({
        apiVersion: API_VERSION,
        kind: 'ApplicationSet',
        namespace: ns,
        name: 'web',
      });
    const version = async (env: 'dev' | 'staging' | 'prod'): Promise<string | undefined> => {
      const c = env === 'dev' ? hub : other;
      const cm = await c.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: names[env],
        name: 'version',
      });
      return (cm?.data as Record<string, string> | undefined)?.v;
    };
    const versions = async (): Promise<string> =>
      `${await version('dev')}/${await version('staging')}/${await version('prod')}`;
    await waitFor('v1 everywhere', async () => (await versions()) === '1/1/1', {
      timeoutMs: 150_000,
      intervalMs: 250,
    });

    // v2: dev, then staging, then prod only after approval.
    const v2 = await fleet.git.commit(repo, files('2'));
    const waiting = await waitFor(
      'waiting for approval before prod',
      async () => {
        const s = await set();
        return s.status?.rollout?.phase === 'WaitingApproval' && s.status.rollout.revision === v2 && s;
      },
      { timeoutMs: 150_000, intervalMs: 250 },
    );
    expect(waiting.status?.rollout?.step).toBe(2);
    expect(await versions()).toBe('2/2/1');
    // The hub's fleet matrix places every cell in the roll-out: prod's step is the one waiting.
    const view = await startHubServer({
      port: 0,
      webhookSecrets: {},
      onPush: () => [],
      api: { client, tokens: ['rollout-view-token'] },
      ui: false,
      log: pino({ level: 'warn' }),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${view.port}/api/v1/fleet`, {
        headers: { authorization: 'Bearer rollout-view-token' },
      });
      const m = (await res.json()) as FleetMatrix;
      const cells = new Map(
        m.rows
          .flatMap((r) => Object.values(r.cells))
          .filter((c) => c.namespace === ns)
          .map((c) => [c.name, c]),
      );
      expect(cells.get('web-prod')?.rollout).toEqual({
        applicationSet: 'web',
        step: 2,
        steps: 3,
        current: 2,
        phase: 'WaitingApproval',
        revision: v2,
      });
      expect(cells.get('web-dev')?.rollout).toMatchObject({ step: 0, current: 2 });
      expect(cells.get('web-staging')?.revision).toBe(v2);
    } finally {
      await view.close();
    }
    await waitFor(
      'ApprovalWaiting notified',
      () =>
        got.some(
          (g) => g.trigger === 'ApprovalWaiting' && g.revision.length >= 7 && v2.startsWith(g.revision),
        ),
      { timeoutMs: 150_000 },
    );
    const status = cli(['rollout', 'status', 'web']);
    expect(status.out).toContain('WaitingApproval');
    expect(cli(['rollout', 'approve', 'web']).code).toBe(0);
    await waitFor(
      'v2 everywhere, roll-out complete',
      async () => (await versions()) === '2/2/2' && (await set()).status?.rollout?.phase === 'Completed',
      { timeoutMs: 150_000, intervalMs: 250 },
    );

    // v3 is broken: dev goes Degraded, the roll-out halts, staging and prod keep v2.
    const v3 = await fleet.git.commit(repo, files('3', true));
    const halted = await waitFor(
      'halted',
      async () => {
        const s = await set();
        return s.status?.rollout?.phase === 'Halted' && s;
      },
      { timeoutMs: 150_000, intervalMs: 250 },
    );
    expect(halted.status?.rollout?.message).toContain(names.dev);
    expect(halted.status?.rollout?.message).toContain('Deployment');
    expect(await versions()).toBe('3/2/2');
    await waitFor(
      'RolloutHalted notified',
      () =>
        got.some((g) => g.trigger === 'RolloutHalted' && g.revision.length >= 7 && v3.startsWith(g.revision)),
      { timeoutMs: 150_000 },
    );
    await notifier.drain();
    // Once each, for the ApplicationSet, though the roll-out was reconciled many times meanwhile.
    expect(got.filter((g) => g.trigger === 'ApprovalWaiting').map((g) => g.app)).toEqual(['web']);
    expect(got.filter((g) => g.trigger === 'RolloutHalted').map((g) => g.app)).toEqual(['web']);
    const prodApp = await hub.admin.get<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: ns,
      name: 'web-prod',
    });
    expect(prodApp.spec.source.targetRevision).toBe(v2);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await versions()).toBe('3/2/2');
    // Every step waits on Deployments becoming Available: on a loaded CI machine that is minutes.
  }, 900_000);
});
