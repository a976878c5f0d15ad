import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { Notifier } from '../../src/controllers/notify/notifier.js';
import { RuleWatch } from '../../src/controllers/notify/rule-cache.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

const SECRET = 'notify-secret-value';
let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let rules: RuleWatch | undefined;
let client: KubeClient;
let controllers: TestControllers;
let receiver: Server;
let port = 0;
const received: string[] = [];
let requests = 0;
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-notify-'));

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'notify');
  // A real HTTP receiver that fails the first delivery, to prove retries.
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      requests++;
      if (requests === 1) {
        res.writeHead(500).end();
        return;
      }
      received.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const addr = receiver.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  // Rules are read from the hub's watch, as the product does (rules created below must be seen).
  rules = new RuleWatch(client, ns);
  rules.start();
  const notifier = new Notifier({ client, log: pino({ level: 'warn' }), baseDelayMs: 100, rules });
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    apps: true,
    notifier,
  });
});

afterAll(async () => {
  controllers?.stop();
  rules?.stop();
  client?.close();
  await new Promise((r) => receiver?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('notifications', () => {
  it('deliver sync and drift events to a webhook, retried, deduplicated, filtered, without Secret data', async () => {
    const rule = (name: string, selector?: Record<string, string>): KubeObject => ({
      apiVersion: API_VERSION,
      kind: 'NotificationRule',
      metadata: { name, namespace: ns },
      spec: {
        triggers: ['SyncSucceeded', 'DriftDetected'],
        ...(selector ? { selector: { matchLabels: selector } } : {}),
        destination: {
          webhook: {
            url: `http://127.0.0.1:${port}/hook`,
            template: `${name} {{trigger}} {{namespace}}/{{app}} {{revision}} {{message}}`,
          },
        },
      },
    });
    await hub.admin.create(rule('all'));
    await hub.admin.create(rule('other-team', { team: 'other' }));
    const repo = uniqueName('notify');
    const destNs = await createNamespace(hub.admin, 'notify-dest');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  a: b\n',
      'secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: ${SECRET}\n`,
    });
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: 'noisy', namespace: ns, labels: { team: 'platform' } },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
        destination: { namespace: destNs },
        syncPolicy: { automated: { selfHeal: true } },
      },
    } as KubeObject);

    await waitFor(
      'SyncSucceeded delivered after a retry',
      () => received.some((b) => b.startsWith('all SyncSucceeded')),
      { timeoutMs: 60_000 },
    );
    expect(requests).toBeGreaterThanOrEqual(2);
    expect(received.find((b) => b.startsWith('all SyncSucceeded'))).toContain(`${ns}/noisy`);

    await hub.admin.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'watched', namespace: destNs },
        data: { a: 'edited' },
      },
      { fieldManager: 'kubectl-edit', force: true },
    );
    await waitFor('DriftDetected delivered', () => received.some((b) => b.startsWith('all DriftDetected')), {
      timeoutMs: 60_000,
    });
    expect(received.find((b) => b.startsWith('all DriftDetected'))).toContain('ConfigMap');
    await new Promise((r) => setTimeout(r, 3000));

    // The self-heal sync succeeded at the same revision: deduplicated, not sent again.
    expect(received.filter((b) => b.startsWith('all SyncSucceeded'))).toHaveLength(1);
    expect(received.filter((b) => b.startsWith('other-team'))).toEqual([]);
    const all = received.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(Buffer.from(SECRET).toString('base64'));
  });
});
