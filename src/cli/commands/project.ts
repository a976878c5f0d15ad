import { parseArgs } from 'node:util';
import {
  API_VERSION,
  destinationClusterName,
  IN_CLUSTER_SERVER,
  type Application,
} from '../../api/application.js';
import { FLEET_NAMESPACE, type Cluster } from '../../api/cluster.js';
import type { Project } from '../../api/project.js';
import type { KubeClient } from '../../kube/client.js';
import { loadProject, syncGate, windowStates, type WindowTarget } from '../../governance/index.js';
import { clientFrom } from '../connect.js';
import { parseFormat, printData, printTable, UsageError } from '../output.js';

const USAGE = `usage: gitfleet project <list|get|windows> [NAME] [flags]
  list                          Projects with their sources, destinations, windows and policies
  get NAME                      one Project (the built-in "default" when none is defined)
  windows NAME [--app APP -n NS]
                                its sync windows: active or not, and when that changes; with
                                --app, whether that Application may sync now and why not
flags: --kubeconfig FILE  --context C  --project-namespace NS (default ${FLEET_NAMESPACE})  -o json|yaml`;

/** `gitfleet project`: read Projects, and see which sync windows hold an Application back. */
export async function projectCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      'project-namespace': { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      app: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
  });
  const format = parseFormat(values.output);
  const projectNs = values['project-namespace'] ?? FLEET_NAMESPACE;
  const name = positionals[0];
  if (verb !== 'list' && !name) throw new UsageError(USAGE);
  const client = await clientFrom(values);
  try {
    switch (verb) {
      case 'list':
        return await list(client, projectNs, format);
      case 'get':
        return await get(client, projectNs, name ?? '', format);
      case 'windows':
        return await windows(
          client,
          projectNs,
          name ?? '',
          values.app,
          values.namespace ?? 'default',
          format,
        );
      default:
        throw new UsageError(USAGE);
    }
  } finally {
    client.close();
  }
}

async function mustLoad(client: KubeClient, namespace: string, name: string): Promise<Project> {
  const p = await loadProject(client, namespace, name);
  if (!p) throw new UsageError(`project ${name} does not exist in ${namespace}`);
  return p;
}

async function list(
  client: KubeClient,
  namespace: string,
  format: ReturnType<typeof parseFormat>,
): Promise<number> {
  const items = (await client.list<Project>(API_VERSION, 'Project', { namespace })).items;
  if (!items.some((p) => p.metadata.name === 'default')) {
    const builtin = await loadProject(client, namespace, 'default');
    if (builtin) items.push(builtin);
  }
  if (format !== 'table') {
    printData(items, format);
    return 0;
  }
  printTable(
    ['name', 'sources', 'destinations', 'windows', 'policies', 'impersonates'],
    items.map((p) => [
      p.metadata.annotations?.['gitfleet.dev/builtin'] ? `${p.metadata.name} (built-in)` : p.metadata.name,
      (p.spec.sourceRepos ?? []).join(',') || '(none)',
      (p.spec.destinations ?? []).map((d) => `${d.cluster ?? '*'}/${d.namespace ?? '*'}`).join(',') ||
        '(none)',
      String(p.spec.syncWindows?.length ?? 0),
      String(p.spec.policies?.length ?? 0),
      p.spec.destinationServiceAccounts?.length ? 'yes' : 'no',
    ]),
  );
  return 0;
}

async function get(
  client: KubeClient,
  namespace: string,
  name: string,
  format: ReturnType<typeof parseFormat>,
): Promise<number> {
  const p = await mustLoad(client, namespace, name);
  // A Project holds no Secret data, so the whole spec can be shown.
  printData(
    format === 'json' ? p : { name: p.metadata.name, namespace, spec: p.spec },
    format === 'json' ? 'json' : 'yaml',
  );
  return 0;
}

async function windows(
  client: KubeClient,
  namespace: string,
  name: string,
  appName: string | undefined,
  appNamespace: string,
  format: ReturnType<typeof parseFormat>,
): Promise<number> {
  const p = await mustLoad(client, namespace, name);
  const now = new Date();
  let target: WindowTarget | undefined;
  if (appName) {
    const app = await client.get<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: appNamespace,
      name: appName,
    });
    if ((app.spec.project ?? 'default') !== name)
      throw new UsageError(
        `${appNamespace}/${appName} belongs to project ${app.spec.project ?? 'default'}, not ${name}`,
      );
    // `destination.server` (Argo CD's form): the window applies to the Cluster with that URL, and
    // windows may list clusters by name or by URL.
    const clusters = (await client.list<Cluster>(API_VERSION, 'Cluster', { namespace: FLEET_NAMESPACE }))
      .items;
    const cluster = destinationClusterName(app.spec.destination, clusters);
    const server =
      cluster === 'in-cluster'
        ? IN_CLUSTER_SERVER
        : (clusters.find((c) => c.metadata.name === cluster)?.spec.server ?? app.spec.destination.server);
    target = {
      application: appName,
      cluster,
      ...(server ? { server } : {}),
      namespace: app.spec.destination.namespace ?? appNamespace,
    };
  }
  const states = windowStates(p, now, target);
  const verdict = target
    ? { automated: syncGate(p, target, now, false), manual: syncGate(p, target, now, true) }
    : undefined;
  if (format !== 'table') {
    printData(
      {
        project: name,
        at: now.toISOString(),
        windows: states.map((s) => ({
          ...s.window,
          index: s.index,
          active: s.active,
          nextChange: s.nextChange?.toISOString() ?? null,
        })),
        ...(verdict ? { application: target, sync: verdict } : {}),
      },
      format,
    );
    return 0;
  }
  if (!states.length)
    console.log(`project ${name} has no sync windows${target ? ` matching ${appName}` : ''}`);
  else
    printTable(
      [
        '#',
        'kind',
        'schedule',
        'duration',
        'time zone',
        'applies to',
        'manual sync',
        'active',
        'next change',
      ],
      states.map((s) => [
        String(s.index),
        s.window.kind,
        s.window.schedule,
        s.window.duration,
        s.window.timeZone ?? 'UTC',
        [
          ...(s.window.applications ?? []).map((a) => `app:${a}`),
          ...(s.window.clusters ?? []).map((c) => `cluster:${c}`),
          ...(s.window.namespaces ?? []).map((n) => `ns:${n}`),
        ].join(',') || '(nothing)',
        s.window.manualSync ? 'allowed' : 'blocked',
        s.active ? 'yes' : 'no',
        s.nextChange
          ? `${s.active ? 'closes' : 'opens'} ${s.nextChange.toISOString()}`
          : `does not ${s.active ? 'close' : 'open'} within a year`,
      ]),
    );
  if (verdict) {
    console.log('');
    for (const [kind, g] of Object.entries(verdict))
      console.log(
        `${kind} sync of ${appNamespace}/${appName}: ${g.allowed ? 'allowed now' : `blocked: ${g.reason ?? ''}`}`,
      );
  }
  return 0;
}
