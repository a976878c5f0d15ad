import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { API_VERSION } from '../../api/application.js';
import { ABORT_ANNOTATION, PROMOTE_ANNOTATION, type Canary } from '../../api/delivery.js';
import { clientFrom } from '../connect.js';
import { parseFormat, printData, printTable, UsageError } from '../output.js';

const USAGE = `usage: gitfleet canary <status|promote|abort> CANARY [--kubeconfig FILE] [--context NAME] [-n NAMESPACE] [-o json|yaml]`;

/**
 * `gitfleet canary`: see and steer a canary or blue/green roll-out in the cluster it runs in.
 * promote and abort write a request annotation with a fresh id; the controller acts on each id once.
 */
export async function canaryCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o' },
    },
  });
  const name = positionals[0];
  if (!verb || !name) throw new UsageError(USAGE);
  const ns = values.namespace ?? 'default';
  const path = `/apis/${API_VERSION}/namespaces/${encodeURIComponent(ns)}/canaries/${encodeURIComponent(name)}`;
  const client = await clientFrom(values);
  try {
    const c = await client.request<Canary>({ method: 'GET', path });
    const s = c.status;
    const annotate = async (key: string): Promise<void> => {
      await client.request({
        method: 'PATCH',
        path,
        body: { metadata: { annotations: { [key]: randomUUID() } } },
        contentType: 'application/merge-patch+json',
      });
    };
    switch (verb) {
      case 'status': {
        const format = parseFormat(values.output);
        if (format !== 'table') {
          printData(s ?? {}, format);
          return 0;
        }
        if (!s) {
          console.log(`${ns}/${name} has not been reconciled yet`);
          return 0;
        }
        console.log(`Phase:    ${s.phase} (${s.health})  step ${s.currentStep}  weight ${s.canaryWeight}%`);
        console.log(
          `Stable:   ${s.stableHash ?? ''} (slot ${s.stableSlot ?? ''})  canary: ${s.canaryHash ?? '-'}`,
        );
        console.log(`Message:  ${s.message ?? ''}\n`);
        const run = s.analysis ?? s.lastAnalysis;
        if (run)
          printTable(
            ['metric', 'phase', 'value', 'verdict', 'at'],
            run.metrics.flatMap((m) =>
              m.measurements.map((x) => [m.name, m.phase, x.value, x.verdict, x.at] as string[]),
            ),
          );
        return 0;
      }
      case 'promote':
        if (!s || ['Succeeded', 'Initialized'].includes(s.phase))
          throw new UsageError(`${ns}/${name} has nothing to promote (phase ${s?.phase ?? 'none'})`);
        await annotate(PROMOTE_ANNOTATION);
        console.log(`promote of ${ns}/${name} requested (step ${s.currentStep})`);
        return 0;
      case 'abort':
        if (!s || ['Succeeded', 'Initialized', 'Failed', 'Aborted'].includes(s.phase))
          throw new UsageError(`${ns}/${name} has no roll-out in progress (phase ${s?.phase ?? 'none'})`);
        await annotate(ABORT_ANNOTATION);
        console.log(`abort of ${ns}/${name} requested: the stable version takes all traffic back`);
        return 0;
      default:
        throw new UsageError(USAGE);
    }
  } finally {
    client.close();
  }
}
