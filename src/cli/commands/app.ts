import { parseArgs } from 'node:util';
import {
  API_VERSION,
  CASCADE_FINALIZER,
  destinationClusterName,
  isCascadeFinalizer,
  REFRESH_ANNOTATION,
  type Application,
  type ApplicationSpec,
  sourceOf,
} from '../../api/application.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeList } from '../../kube/types.js';
import { clientFrom } from '../connect.js';
import { requestTerminate } from '../../controllers/application/terminate.js';
import { parseFormat, printData, printTable, UsageError } from '../output.js';

const common = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  output: { type: 'string', short: 'o' },
} as const;

const USAGE = `usage: gitfleet app <create|get|list|diff|sync|terminate|history|rollback|delete> [NAME] [flags]
  create NAME --repo URL [--path P] [--revision R] [--dest-namespace NS] [--dest-cluster NAME]
              [--auto] [--prune] [--self-heal] [--sync-option OPT]... [--secret NAME]
  sync NAME [--wait] [--timeout 120s]      rollback NAME HISTORY_ID      delete NAME [--cascade=false]
common: --kubeconfig FILE --context CTX -n/--namespace NS (default "default") -o json|yaml`;

export async function appCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'create':
      return create(rest);
    case 'get':
      return get(rest);
    case 'list':
      return list(rest);
    case 'diff':
      return diff(rest);
    case 'sync':
      return sync(rest);
    case 'terminate':
      return terminate(rest);
    case 'history':
      return history(rest);
    case 'rollback':
      return rollback(rest);
    case 'delete':
      return del(rest);
    default:
      throw new UsageError(USAGE);
  }
}

function appPath(ns: string, name?: string): string {
  return `/apis/${API_VERSION}/namespaces/${encodeURIComponent(ns)}/applications${name ? `/${encodeURIComponent(name)}` : ''}`;
}

async function withClient<T>(
  values: { kubeconfig?: string; context?: string },
  fn: (c: KubeClient) => Promise<T>,
): Promise<T> {
  const c = await clientFrom(values);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

function need(name: string | undefined, what = 'NAME'): string {
  if (!name) throw new UsageError(`missing ${what}\n${USAGE}`);
  return name;
}

async function create(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...common,
      repo: { type: 'string' },
      path: { type: 'string' },
      revision: { type: 'string' },
      'dest-namespace': { type: 'string' },
      'dest-cluster': { type: 'string' },
      auto: { type: 'boolean' },
      prune: { type: 'boolean' },
      'self-heal': { type: 'boolean' },
      'sync-option': { type: 'string', multiple: true },
      secret: { type: 'string' },
      upsert: { type: 'boolean' },
    },
  });
  const name = need(positionals[0]);
  if (!values.repo) throw new UsageError('--repo URL is required');
  const ns = values.namespace ?? 'default';
  const spec: ApplicationSpec = {
    source: {
      repoURL: values.repo,
      ...(values.path ? { path: values.path } : {}),
      ...(values.revision ? { targetRevision: values.revision } : {}),
      ...(values.secret ? { secretRef: { name: values.secret } } : {}),
    },
    destination: {
      ...(values['dest-cluster'] ? { name: values['dest-cluster'] } : {}),
      namespace: values['dest-namespace'] ?? ns,
    },
  };
  if (values.auto || values['sync-option']) {
    spec.syncPolicy = {
      ...(values.auto ? { automated: { prune: !!values.prune, selfHeal: !!values['self-heal'] } } : {}),
      ...(values['sync-option'] ? { syncOptions: values['sync-option'] } : {}),
    };
  }
  const app = {
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: ns, finalizers: [CASCADE_FINALIZER] },
    spec,
  };
  await withClient(values, (c) =>
    values.upsert
      ? c.request({
          method: 'PATCH',
          path: appPath(ns, name),
          body: app,
          contentType: 'application/apply-patch+yaml',
          query: { fieldManager: 'gitfleet-cli', force: true },
        })
      : c.request({ method: 'POST', path: appPath(ns), body: app }),
  );
  console.log(`application ${ns}/${name} created`);
  return 0;
}

async function fetchApp(c: KubeClient, ns: string, name: string): Promise<Application> {
  return c.request<Application>({ method: 'GET', path: appPath(ns, name) });
}

async function get(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: common });
  const name = need(positionals[0]);
  const format = parseFormat(values.output);
  const app = await withClient(values, (c) => fetchApp(c, values.namespace ?? 'default', name));
  if (format !== 'table') {
    printData(app, format);
    return 0;
  }
  const s = app.status ?? {};
  console.log(`Name:        ${app.metadata.namespace}/${app.metadata.name}`);
  console.log(
    `Source:      ${sourceOf(app.spec).repoURL} ${sourceOf(app.spec).path ?? ''} @ ${sourceOf(app.spec).targetRevision ?? 'HEAD'}`,
  );
  console.log(
    `Destination: ${destinationClusterName(app.spec.destination)} / ${app.spec.destination.namespace ?? app.metadata.namespace}`,
  );
  console.log(`Sync:        ${s.sync?.status ?? 'Unknown'} to ${s.sync?.revision?.slice(0, 12) ?? '-'}`);
  console.log(
    `Health:      ${s.health?.status ?? 'Unknown'}${s.health?.message ? ` (${s.health.message})` : ''}`,
  );
  if (s.operationState) console.log(`Last sync:   ${s.operationState.phase}: ${s.operationState.message}`);
  for (const c of s.conditions ?? []) console.log(`Condition:   ${c.type}: ${c.message}`);
  console.log('');
  printTable(
    ['kind', 'namespace', 'name', 'status', 'health'],
    (s.resources ?? []).map((r) => [r.kind, r.namespace ?? '', r.name, r.status, r.health?.status ?? '']),
  );
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...common, 'all-namespaces': { type: 'boolean', short: 'A' } },
  });
  const format = parseFormat(values.output);
  const items = await withClient(values, (c) =>
    c.request<KubeList<Application>>({
      method: 'GET',
      path: values['all-namespaces']
        ? `/apis/${API_VERSION}/applications`
        : appPath(values.namespace ?? 'default'),
    }),
  );
  if (format !== 'table') {
    printData(items.items, format);
    return 0;
  }
  printTable(
    ['namespace', 'name', 'sync', 'health', 'revision', 'repo', 'path'],
    items.items.map((a) => [
      a.metadata.namespace ?? '',
      a.metadata.name,
      a.status?.sync?.status ?? 'Unknown',
      a.status?.health?.status ?? 'Unknown',
      a.status?.sync?.revision?.slice(0, 12) ?? '',
      sourceOf(a.spec).repoURL,
      sourceOf(a.spec).path ?? '',
    ]),
  );
  return 0;
}

async function diff(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: common });
  const app = await withClient(values, (c) =>
    fetchApp(c, values.namespace ?? 'default', need(positionals[0])),
  );
  const out = (app.status?.resources ?? []).filter((r) => r.status === 'OutOfSync');
  for (const r of out) {
    console.log(`=== ${r.kind}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`);
    if (r.diff) console.log(r.diff);
  }
  return out.length ? 1 : 0;
}

async function sync(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...common, wait: { type: 'boolean' }, timeout: { type: 'string' } },
  });
  const name = need(positionals[0]);
  const ns = values.namespace ?? 'default';
  const stamp = new Date().toISOString();
  return withClient(values, async (c) => {
    await c.request({
      method: 'PATCH',
      path: appPath(ns, name),
      body: { metadata: { annotations: { [REFRESH_ANNOTATION]: stamp } } },
      contentType: 'application/merge-patch+json',
    });
    console.log(`sync of ${ns}/${name} requested`);
    if (!values.wait) return 0;
    const deadline = Date.now() + Number.parseInt(values.timeout ?? '120', 10) * 1000;
    while (Date.now() < deadline) {
      const app = await fetchApp(c, ns, name);
      const st = app.status as (Application['status'] & { handledSyncRequest?: string }) | undefined;
      const blocked = st?.conditions?.find((c) => c.type === 'SyncWindowBlocked');
      if (st?.handledSyncRequest === stamp && blocked) {
        console.log(`Refused: ${blocked.message ?? 'a sync window blocks it'}`);
        return 1;
      }
      if (st?.handledSyncRequest === stamp && st.operationState) {
        console.log(`${st.operationState.phase}: ${st.operationState.message}`);
        return st.operationState.phase === 'Succeeded' ? 0 : 1;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    console.error('timed out waiting for the sync');
    return 1;
  });
}

/** Stops the running operation: it ends Failed "terminated" at the controller's next reconcile. */
async function terminate(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: common });
  const name = need(positionals[0]);
  const ns = values.namespace ?? 'default';
  return withClient(values, async (c) => {
    const r = await requestTerminate(c, ns, name);
    console.log(
      `termination of ${ns}/${name}'s operation${r.revision ? ` at ${r.revision.slice(0, 12)}` : ''} requested`,
    );
    return 0;
  });
}

async function history(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: common });
  const app = await withClient(values, (c) =>
    fetchApp(c, values.namespace ?? 'default', need(positionals[0])),
  );
  const format = parseFormat(values.output);
  const h = app.status?.history ?? [];
  if (format !== 'table') printData(h, format);
  else
    printTable(
      ['id', 'deployed at', 'revision', 'path'],
      h.map((e) => [String(e.id), e.deployedAt, e.revision, e.source.path ?? '']),
    );
  return 0;
}

/**
 * Pins the Application to a revision from its history and syncs it. Refused while automated
 * sync is on (it would move straight back to the branch head), as Argo CD does.
 */
async function rollback(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: common });
  const name = need(positionals[0]);
  const id = Number(need(positionals[1], 'HISTORY_ID'));
  const ns = values.namespace ?? 'default';
  return withClient(values, async (c) => {
    const app = await fetchApp(c, ns, name);
    if (app.spec.syncPolicy?.automated)
      throw new UsageError(`${ns}/${name} has automated sync enabled; disable it before rolling back`);
    const entry = app.status?.history?.find((e) => e.id === id);
    if (!entry) throw new UsageError(`${ns}/${name} has no history entry ${id}`);
    await c.request({
      method: 'PATCH',
      path: appPath(ns, name),
      body: {
        spec: { source: { ...entry.source, targetRevision: entry.revision } },
        metadata: { annotations: { [REFRESH_ANNOTATION]: new Date().toISOString() } },
      },
      contentType: 'application/merge-patch+json',
    });
    console.log(`${ns}/${name} rolled back to ${entry.revision.slice(0, 12)} (history ${id})`);
    return 0;
  });
}

async function del(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...common, cascade: { type: 'string', default: 'true' } },
  });
  const name = need(positionals[0]);
  const ns = values.namespace ?? 'default';
  return withClient(values, async (c) => {
    const app = await fetchApp(c, ns, name);
    const finalizers = ((app.metadata.finalizers as string[] | undefined) ?? []).filter(
      (f) => !isCascadeFinalizer(f), // Argo CD's too: --cascade=false must not cascade
    );
    if (values.cascade !== 'false') finalizers.push(CASCADE_FINALIZER);
    await c.request({
      method: 'PATCH',
      path: appPath(ns, name),
      body: { metadata: { finalizers } },
      contentType: 'application/merge-patch+json',
    });
    await c.request({ method: 'DELETE', path: appPath(ns, name) });
    console.log(
      `application ${ns}/${name} deleted${values.cascade !== 'false' ? ' with its resources' : ' (resources kept)'}`,
    );
    return 0;
  });
}
