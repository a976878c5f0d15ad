import { parseArgs } from 'node:util';
import { API_VERSION } from '../../api/application.js';
import { FLEET_NAMESPACE, type Cluster } from '../../api/cluster.js';
import { printData, printTable } from '../output.js';
import { cliVersion, skewProblem } from '../version-info.js';

/** The Deployment the chart installs the hub as (deploy/chart/gitfleet). */
export const HUB_DEPLOYMENT = 'gitfleet-hub';

interface VersionReport {
  cli: string;
  hub?: string;
  hubError?: string;
  agents: { cluster: string; version: string; skew?: string }[];
}

/**
 * `gitfleet version [--client]`: the CLI's version and, unless --client, the hub's (label
 * app.kubernetes.io/version of its Deployment) and each agent's (Cluster status.agentVersion),
 * flagging agents outside the supported skew. Exit 1 when an agent is outside it.
 */
export async function versionCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      client: { type: 'boolean' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
  });
  const report: VersionReport = { cli: cliVersion(), agents: [] };
  if (!values.client) await addServerVersions(report, values);
  if (values.output === 'json' || values.output === 'yaml') {
    printData(report, values.output);
  } else {
    console.log(`gitfleet ${report.cli}`);
    if (!values.client) {
      console.log(`hub: ${report.hub ?? `unknown (${report.hubError ?? 'not found'})`}`);
      if (report.agents.length > 0)
        printTable(
          ['cluster', 'agent', 'skew'],
          report.agents.map((a) => [a.cluster, a.version, a.skew ?? 'ok']),
        );
    }
  }
  return report.agents.some((a) => a.skew) ? 1 : 0;
}

async function addServerVersions(
  report: VersionReport,
  values: { kubeconfig?: string; context?: string },
): Promise<void> {
  let client;
  try {
    // Imported here: `version --client` never loads the Kubernetes client (bench/cli).
    const { clientFrom } = await import('../connect.js');
    client = await clientFrom(values);
  } catch (e) {
    report.hubError = e instanceof Error ? e.message : String(e);
    return;
  }
  try {
    const hub = await client.getOrUndefined({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: FLEET_NAMESPACE,
      name: HUB_DEPLOYMENT,
    });
    const v = hub?.metadata.labels?.['app.kubernetes.io/version'];
    if (v) report.hub = v;
    else report.hubError = hub ? `Deployment ${HUB_DEPLOYMENT} has no version label` : 'no hub Deployment';
    // No Cluster CRD yet (a bare cluster) means no agents, not an error.
    const clusters = await client
      .list<Cluster>(API_VERSION, 'Cluster', { namespace: FLEET_NAMESPACE })
      .catch(() => ({ items: [] as Cluster[] }));
    for (const c of clusters.items) {
      const version = c.status?.agentVersion;
      if (!version) continue;
      const skew = report.hub ? skewProblem(report.hub, version) : undefined;
      report.agents.push({ cluster: c.metadata.name, version, ...(skew ? { skew } : {}) });
    }
  } catch (e) {
    report.hubError = e instanceof Error ? e.message : String(e);
  } finally {
    client.close();
  }
}
