import { testFleet } from '../harness/context.js';
import type { KubeClient, KubeObject } from '../../src/kube/index.js';
import { InventoryStore } from '../../src/engine/inventory/store.js';
import type { Manifest } from '../../src/engine/manifest.js';
import {
  syncNext,
  type SyncProgress,
  type SyncRequest,
  type SyncStepResult,
} from '../../src/engine/sync/index.js';
import type { ChangeSetEntry } from '../../src/engine/apply/changeset.js';

/**
 * The engine executor driven directly against the harness' apiserver (no controller): each
 * engine-*.e2e.test.ts file is one scenario of syncNext, as Flux's ssa tests are of ApplyAll.
 */
export function manifests(...objects: KubeObject[]): Manifest[] {
  return objects.map((object, i) => ({ object, origin: { file: `m${i}.yaml`, line: 1 } }));
}

export function request(
  owner: string,
  namespace: string,
  objs: Manifest[],
  extra: Partial<SyncRequest> = {},
): SyncRequest {
  return {
    owner,
    manifests: objs,
    defaultNamespace: namespace,
    prune: true,
    allowEmpty: false,
    createNamespace: false,
    forceConflicts: false,
    ignore: [],
    healthTimeoutMs: 60_000,
    ...extra,
  };
}

/** One call, as one reconcile makes it: a fresh plan, the saved progress and changes passed in. */
export function step(
  client: KubeClient,
  req: SyncRequest,
  prior: { progress?: SyncProgress; changes?: ChangeSetEntry[] } = {},
): Promise<SyncStepResult> {
  return syncNext(req, { client, inventory: new InventoryStore(client) }, prior);
}

/** Calls until the operation ends, as the controller's requeues do; returns every call's result. */
export async function runToEnd(
  client: KubeClient,
  req: SyncRequest,
  from: { progress?: SyncProgress; changes?: ChangeSetEntry[] } = {},
  limitMs = 60_000,
): Promise<SyncStepResult[]> {
  const out: SyncStepResult[] = [];
  const deadline = Date.now() + limitMs;
  let prior = from;
  for (;;) {
    const r = await step(client, req, prior);
    out.push(r);
    if (r.phase !== 'Running') return out;
    if (Date.now() > deadline) throw new Error(`still Running after ${limitMs} ms: ${r.message}`);
    prior = { progress: r.progress, changes: r.changes };
    await new Promise((res) => setTimeout(res, 250));
  }
}

export const configMap = (
  name: string,
  data: Record<string, string>,
  annotations: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, annotations },
  data,
});

/** A Deployment of no replicas: Progressing until the controller-manager observes it, then Healthy. */
export const deployment = (name: string, annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, annotations },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    },
  },
});

/** A hook Job; `fail` makes it miss its deadline (no node matches), so it ends Failed. */
export const hookJob = (
  name: string,
  hook: string,
  opts: { fail?: boolean; deletePolicy?: string } = {},
): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name,
    annotations: {
      'gitfleet.dev/hook': hook,
      ...(opts.deletePolicy ? { 'gitfleet.dev/hook-delete-policy': opts.deletePolicy } : {}),
    },
  },
  spec: {
    backoffLimit: 0,
    ...(opts.fail ? { activeDeadlineSeconds: 2 } : {}),
    template: {
      spec: {
        restartPolicy: 'Never',
        ...(opts.fail ? { nodeSelector: { 'no-such-node': 'x' } } : {}),
        containers: [{ name: 'run', image: 'busybox' }],
      },
    },
  },
});

export const actions = (r: SyncStepResult): string[] =>
  r.changes.map((c) => `${c.ref.kind}/${c.ref.name}:${c.action}`);

/** The admin client of the fleet's first cluster. */
export async function adminClient(): Promise<KubeClient> {
  const c = (await testFleet()).clusters[0];
  if (!c) throw new Error('the test fleet has no cluster');
  return c.admin;
}

/** The result that ended the operation. */
export function lastOf(runs: SyncStepResult[]): SyncStepResult {
  const r = runs[runs.length - 1];
  if (!r) throw new Error('no sync call was made');
  return r;
}
