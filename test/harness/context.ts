import { inject } from 'vitest';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { gitRepos, type GitRepos } from './git.js';
import type { FleetInfo } from './fleet.js';

export interface ClusterHandle {
  name: string;
  server: string;
  kubeconfig: string;
  /** Admin client (system:masters). */
  admin: KubeClient;
}

export interface TestFleet {
  info: FleetInfo;
  clusters: ClusterHandle[];
  git: GitRepos;
}

let cached: Promise<TestFleet> | undefined;

/** The fleet started by the global setup, as seen from a test file. */
export function testFleet(): Promise<TestFleet> {
  cached ??= (async () => {
    const info = inject('fleet');
    const clusters = await Promise.all(
      info.clusters.map(async (c) => ({
        ...c,
        admin: new KubeClient(await loadConnection({ file: c.kubeconfig })),
      })),
    );
    return { info, clusters, git: gitRepos(info.git) };
  })();
  return cached;
}

let counter = 0;
/** A name unique in this test run: `<prefix>-<pid36>-<n>`. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid.toString(36)}-${counter}`;
}

/** Creates a fresh namespace for one test; tests isolate by namespace, never by cluster. */
export async function createNamespace(client: KubeClient, prefix = 'test'): Promise<string> {
  const name = uniqueName(prefix);
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  await client.create(ns);
  return name;
}

/**
 * A client that authenticates as a ServiceAccount, with a short-lived token from the TokenRequest
 * API; it has exactly the rights RBAC gives that ServiceAccount.
 */
export async function serviceAccountClient(
  cluster: ClusterHandle,
  namespace: string,
  name: string,
): Promise<KubeClient> {
  const tr = await cluster.admin.request<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
  });
  const base = await loadConnection({ file: cluster.kubeconfig });
  return new KubeClient({
    server: base.server,
    ca: base.ca,
    headers: { Authorization: `Bearer ${tr.status.token}` },
    rejectUnauthorized: true,
  });
}
