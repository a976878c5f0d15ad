import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startHubProcess } from '../harness/gitfleet-process.js';
import { freePort } from '../harness/ports.js';
import type { ManagedProcess } from '../harness/process.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * A hub confined to one namespace (`--namespace`) serves Applications of every namespace through
 * its API, from one cache of them: its controller reads a view of that cache (kube/informer-view).
 * What must hold: the controller drives the apps of its namespace and only those, and the API still
 * lists every namespace's (bench/peers/memory.ts measures the memory).
 */
let fleet: TestFleet;
let mgmt: ClusterHandle;
let ns: string;
let other: string;
let dest: string;
let proc: ManagedProcess;
let port: number;
let repoUrl: string;
const TOKEN = 'apps-cache-token';

const app = (namespace: string, name: string, repoURL: string): Application =>
  ({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace },
    spec: {
      source: { repoURL, secretRef: { name: 'creds' } },
      destination: { namespace: dest },
      syncPolicy: { automated: {} },
    },
  }) as Application;

const get = (namespace: string, name: string): Promise<Application> =>
  mgmt.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace, name });

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  await installCrds(mgmt.admin);
  ns = await createNamespace(mgmt.admin, 'apps-cache');
  other = await createNamespace(mgmt.admin, 'apps-cache-other');
  dest = await createNamespace(mgmt.admin, 'apps-cache-dest');
  const repo = uniqueName('apps-cache-repo');
  repoUrl = fleet.git.repoUrl(repo);
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, {
    'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: in-hub-namespace\ndata:\n  v: "1"\n',
  });
  for (const n of [ns, other])
    await mgmt.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: n },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
  const logDir = join(fleet.info.runDir, 'logs', ns);
  mkdirSync(logDir, { recursive: true });
  port = await freePort();
  proc = startHubProcess({
    name: 'apps-cache',
    logDir,
    kubeconfig: mgmt.kubeconfig,
    namespace: ns,
    port,
    shardGroup: uniqueName('apps-cache'),
    replicaId: 'hub-1',
    env: { GITFLEET_API_TOKENS: TOKEN },
  });
  await mgmt.admin.create(app(ns, 'mine', repoUrl));
  await mgmt.admin.create(app(other, 'not-mine', repoUrl));
}, 240_000);

afterAll(async () => {
  await proc.stop();
});

describe('a hub confined to one namespace, with its API', () => {
  it('drives the apps of its namespace only, and lists every namespace’s through the API', async () => {
    await waitFor(
      'the app of the hub’s namespace Synced',
      async () => {
        if (!proc.running) throw new FatalWaitError(`the hub exited:\n${proc.tail()}`);
        return (await get(ns, 'mine')).status?.sync?.status === 'Synced';
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    // The controller reads a view of the API's cache (the hub may list every namespace here),
    // not a cache of its own: what the memory this saves depends on.
    const started = readFileSync(proc.logPath, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"applications cache"'));
    expect(started).toHaveLength(1);
    expect(JSON.parse(started[0] ?? '{}')).toMatchObject({ namespace: ns, sharedWithApi: true });
    // The app of the other namespace is the API's to show and no one's to drive here.
    expect((await get(other, 'not-mine')).status).toBeUndefined();

    const res = await fetch(`http://127.0.0.1:${port}/api/v1/applications`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { namespace: string; name: string }[] };
    const listed = body.items.map((a) => `${a.namespace}/${a.name}`);
    expect(listed).toEqual(expect.arrayContaining([`${ns}/mine`, `${other}/not-mine`]));

    // An app created now in the other namespace reaches the API through the shared cache's watch
    // (once synced, the API reads the cache only), and still no status from this hub.
    await mgmt.admin.create(app(other, 'later', repoUrl));
    await waitFor(
      'the API listing the later app of the other namespace',
      async () => {
        const r = await fetch(`http://127.0.0.1:${port}/api/v1/applications`, {
          headers: { Authorization: `Bearer ${TOKEN}` },
        });
        const b = (await r.json()) as { items: { namespace: string; name: string }[] };
        return b.items.some((a) => a.namespace === other && a.name === 'later');
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect((await get(other, 'later')).status).toBeUndefined();
    expect((await get(other, 'not-mine')).status).toBeUndefined();
  }, 120_000);
});
