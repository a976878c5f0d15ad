import { parseArgs } from 'node:util';
import { API_VERSION } from '../../api/application.js';
import { FLEET_NAMESPACE, type Cluster } from '../../api/cluster.js';
import { writeFileSync } from 'node:fs';
import { registerAgentCluster, registerCluster, removeCluster } from '../../controllers/cluster/register.js';
import { issueAgentToken } from '../../controllers/tokens.js';
import { loadConnection } from '../../kube/kubeconfig.js';
import type { KubeList } from '../../kube/types.js';
import { clientFrom } from '../connect.js';
import { parseFormat, printData, printTable, UsageError } from '../output.js';

const USAGE = `usage: gitfleet cluster <add|token|list|get|label|remove> [NAME] [flags]
  add NAME --kubeconfig FILE [--context CTX] [--label k=v]...   register a cluster in push mode (credentials go into a Secret)
  add NAME --mode agent [--server URL] [--label k=v]... [--token-file F]
                                                  register a cluster driven by its agent; prints (or writes) the agent token once
  token NAME [--token-file F]                     rotate the agent token of NAME (the old one stops working at once)
  label NAME k=v [k-]...                                          set or remove labels
common: --hub-kubeconfig FILE --hub-context CTX (the management cluster; default $KUBECONFIG) -o json|yaml`;

const hub = {
  'hub-kubeconfig': { type: 'string' },
  'hub-context': { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

function parseLabels(pairs: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--label expects key=value, got "${p}"`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

export async function clusterCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...hub,
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      label: { type: 'string', multiple: true },
      mode: { type: 'string' },
      server: { type: 'string' },
      'token-file': { type: 'string' },
    },
  });
  const giveToken = (token: string): void => {
    if (values['token-file']) {
      writeFileSync(values['token-file'], `${token}\n`, { mode: 0o600 });
      console.log(`agent token written to ${values['token-file']}`);
    } else console.log(`agent token (shown once; pass it to 'gitfleet agent --token-file'):\n${token}`);
  };
  const mgmt = await clientFrom({ kubeconfig: values['hub-kubeconfig'], context: values['hub-context'] });
  const path = (name?: string): string =>
    `/apis/${API_VERSION}/namespaces/${FLEET_NAMESPACE}/clusters${name ? `/${name}` : ''}`;
  try {
    switch (verb) {
      case 'add': {
        const name = positionals[0];
        if (name && values.mode === 'agent') {
          const { token } = await registerAgentCluster(mgmt, {
            name,
            labels: parseLabels(values.label),
            ...(values.server ? { server: values.server } : {}),
          });
          console.log(`cluster ${name} registered in agent mode`);
          giveToken(token);
          return 0;
        }
        if (values.mode && values.mode !== 'push' && values.mode !== 'agent')
          throw new UsageError(`--mode must be push or agent, not "${values.mode}"`);
        if (!name || !values.kubeconfig) throw new UsageError(USAGE);
        const conn = await loadConnection(
          { file: values.kubeconfig },
          values.context ? { context: values.context } : {},
        );
        const c = await registerCluster(mgmt, { name, connection: conn, labels: parseLabels(values.label) });
        console.log(`cluster ${name} registered (${c.spec.server})`);
        return 0;
      }
      case 'token': {
        const name = positionals[0];
        if (!name) throw new UsageError(USAGE);
        const c = await mgmt.getOrUndefined<Cluster>({
          apiVersion: API_VERSION,
          kind: 'Cluster',
          namespace: FLEET_NAMESPACE,
          name,
        });
        if (!c) throw new UsageError(`cluster ${name} is not registered`);
        if (c.spec.mode !== 'agent')
          throw new UsageError(`cluster ${name} is in push mode: it has no agent token`);
        giveToken(await issueAgentToken(mgmt, name));
        return 0;
      }
      case 'list': {
        const list = await mgmt.request<KubeList<Cluster>>({ method: 'GET', path: path() });
        const format = parseFormat(values.output);
        if (format !== 'table') printData(list.items, format);
        else
          printTable(
            ['name', 'mode', 'server', 'reachable', 'version', 'labels'],
            list.items.map((c) => [
              c.metadata.name,
              c.spec.mode ?? 'push',
              c.spec.server,
              c.status?.reachable === undefined ? 'unknown' : String(c.status.reachable),
              c.status?.serverVersion ?? '',
              Object.entries(c.metadata.labels ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(','),
            ]),
          );
        return 0;
      }
      case 'get': {
        const name = positionals[0];
        if (!name) throw new UsageError(USAGE);
        const c = await mgmt.request<Cluster>({ method: 'GET', path: path(name) });
        printData(c, values.output === 'json' ? 'json' : 'yaml');
        return 0;
      }
      case 'label': {
        const [name, ...changes] = positionals;
        if (!name || changes.length === 0) throw new UsageError(USAGE);
        const labels: Record<string, string | null> = {};
        for (const ch of changes) {
          if (ch.endsWith('-')) labels[ch.slice(0, -1)] = null;
          else Object.assign(labels, parseLabels([ch]));
        }
        await mgmt.request({
          method: 'PATCH',
          path: path(name),
          body: { metadata: { labels } },
          contentType: 'application/merge-patch+json',
        });
        console.log(`cluster ${name} labelled`);
        return 0;
      }
      case 'remove': {
        const name = positionals[0];
        if (!name) throw new UsageError(USAGE);
        console.log(
          (await removeCluster(mgmt, name))
            ? `cluster ${name} removed`
            : `cluster ${name} was not registered`,
        );
        return 0;
      }
      default:
        throw new UsageError(USAGE);
    }
  } finally {
    mgmt.close();
  }
}
