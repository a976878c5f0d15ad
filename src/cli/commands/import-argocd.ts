/**
 * `gitfleet import argocd`: reads an Argo CD installation from a cluster (--from-kubeconfig,
 * --from-context, --from-namespace) or from files (-f, repeatable; YAML, several documents each),
 * and writes the gitfleet equivalents to stdout or --out DIR, or applies them with --apply
 * (--kubeconfig/--context: the hub). Every object or field not carried over is listed on stderr by
 * name; the exit code is then 2. The only export is the command: E's `gitfleet import` dispatches
 * `import argocd` to this module's one function. Secrets are applied (with --apply) but never printed or written:
 * without --apply the output names them and what to run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import { ARGO_SECRET_LABEL } from '../../controllers/credentials.js';
import { KubeClient, loadConnection, type KubeObject } from '../../kube/index.js';
import { clientFrom } from '../connect.js';
import { applyArgoImport, readArgoCdFiles, readArgoCdFromCluster } from '../migrate/argocd-io.js';
import { convertArgoCd, type ArgoImport } from '../migrate/argocd.js';

const USAGE = `usage: gitfleet import argocd [--from-kubeconfig F] [--from-context C] [--from-namespace argocd] [--app-namespaces a,b] [-f FILE|DIR ...]
                              [--namespace ${FLEET_NAMESPACE}] [--out DIR | --apply [--kubeconfig F] [--context C]]`;

/** The printable form: the objects, then comments naming what only --apply carries (credentials). */
function printable(imp: ArgoImport): string {
  const docs = imp.objects.map((o) => stringify(o));
  const notes = [
    ...imp.secrets.map(
      (s) =>
        `# Secret ${s.metadata.namespace}/${s.metadata.name} (${s.metadata.labels?.[ARGO_SECRET_LABEL]}): holds credentials, not written; run with --apply to copy it`,
    ),
    ...imp.clusters.map(
      (c) =>
        `# Cluster ${c.name} (${c.connection.server}, from ${c.from}): holds credentials, not written; run with --apply, or gitfleet cluster add`,
    ),
  ];
  return docs.join('---\n') + (notes.length ? `${docs.length ? '---\n' : ''}${notes.join('\n')}\n` : '');
}

export async function importArgoCdCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'from-kubeconfig': { type: 'string' },
      'from-context': { type: 'string' },
      'from-namespace': { type: 'string', default: 'argocd' },
      'app-namespaces': { type: 'string', default: '' },
      file: { type: 'string', short: 'f', multiple: true },
      namespace: { type: 'string', default: FLEET_NAMESPACE },
      out: { type: 'string' },
      apply: { type: 'boolean', default: false },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.out && values.apply) {
    console.error(`gitfleet import argocd: --out and --apply exclude each other\n${USAGE}`);
    return 1;
  }
  const fromCluster = Boolean(values['from-kubeconfig'] || values['from-context']);
  if (fromCluster === Boolean(values.file?.length)) {
    console.error(
      `gitfleet import argocd: read from a cluster (--from-kubeconfig/--from-context) or from files (-f), one of them\n${USAGE}`,
    );
    return 1;
  }
  let input: KubeObject[];
  if (fromCluster) {
    const source = values['from-kubeconfig']
      ? new KubeClient(
          await loadConnection(
            { file: values['from-kubeconfig'] },
            values['from-context'] ? { context: values['from-context'] } : {},
          ),
        )
      : await clientFrom({ context: values['from-context'] });
    try {
      input = await readArgoCdFromCluster(
        source,
        values['from-namespace'],
        values['app-namespaces'].split(',').filter(Boolean),
      );
    } finally {
      source.close();
    }
  } else {
    input = readArgoCdFiles(values.file ?? []);
  }
  const imp = convertArgoCd(input, { argoNamespace: values['from-namespace'], namespace: values.namespace });
  if (values.apply) {
    const hub = await clientFrom({ kubeconfig: values.kubeconfig, context: values.context });
    try {
      const { done, failed } = await applyArgoImport(hub, imp);
      for (const line of done) console.log(line);
      imp.notCarried.push(...failed);
    } finally {
      hub.close();
    }
  } else if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'gitfleet.yaml'), printable(imp));
    console.log(`${imp.objects.length} objects written to ${join(values.out, 'gitfleet.yaml')}`);
  } else {
    process.stdout.write(printable(imp));
  }
  for (const n of imp.notCarried) console.error(`not carried over: ${n.what}: ${n.reason}`);
  if (imp.notCarried.length)
    console.error(`${imp.notCarried.length} item(s) not carried over (listed above)`);
  return imp.notCarried.length ? 2 : 0;
}
