import { parseArgs } from 'node:util';
import { API_VERSION } from '../../api/application.js';
import {
  ROLLOUT_APPROVED_ANNOTATION,
  ROLLOUT_PAUSED_ANNOTATION,
  type ApplicationSet,
} from '../../api/applicationset.js';
import { clientFrom } from '../connect.js';
import { parseFormat, printData, printTable, UsageError } from '../output.js';

const USAGE = `usage: gitfleet rollout <status|pause|resume|approve> APPLICATIONSET [--kubeconfig FILE] [-n NAMESPACE] [-o json|yaml]`;

/** `gitfleet rollout`: watch and steer the progressive roll-out of an ApplicationSet. */
export async function rolloutCommand(argv: string[]): Promise<number> {
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
  const path = `/apis/${API_VERSION}/namespaces/${ns}/applicationsets/${name}`;
  const client = await clientFrom(values);
  try {
    const set = await client.request<ApplicationSet>({ method: 'GET', path });
    const r = set.status?.rollout;
    const annotate = async (annotations: Record<string, string>): Promise<void> => {
      await client.request({
        method: 'PATCH',
        path,
        body: { metadata: { annotations } },
        contentType: 'application/merge-patch+json',
      });
    };
    switch (verb) {
      case 'status': {
        const format = parseFormat(values.output);
        if (format !== 'table') {
          printData(set.status?.rollout ?? {}, format);
          return 0;
        }
        if (!r) {
          console.log(`${ns}/${name} has no roll-out (spec.strategy not set, or not reconciled yet)`);
          return 0;
        }
        console.log(
          `Phase:     ${r.phase}  (step ${Math.min(r.step + 1, set.spec.strategy?.rollingSync.steps.length ?? 0)} of ${set.spec.strategy?.rollingSync.steps.length ?? 0})`,
        );
        console.log(`Revision:  ${r.revision.slice(0, 12)} (stable ${r.stableRevision.slice(0, 12)})`);
        console.log(`Message:   ${r.message}\n`);
        printTable(
          ['application', 'revision'],
          (set.status?.applications ?? []).map((a) => [a.name, a.revision?.slice(0, 12) ?? '']),
        );
        return 0;
      }
      case 'pause':
        await annotate({ [ROLLOUT_PAUSED_ANNOTATION]: 'true' });
        console.log(`roll-out of ${ns}/${name} paused`);
        return 0;
      case 'resume':
        await annotate({ [ROLLOUT_PAUSED_ANNOTATION]: 'false' });
        console.log(`roll-out of ${ns}/${name} resumed`);
        return 0;
      case 'approve': {
        if (r?.phase !== 'WaitingApproval')
          throw new UsageError(`${ns}/${name} is not waiting for approval (phase ${r?.phase ?? 'none'})`);
        await annotate({ [ROLLOUT_APPROVED_ANNOTATION]: String(r.step) });
        console.log(`step ${r.step + 1} of ${ns}/${name} approved`);
        return 0;
      }
      default:
        throw new UsageError(USAGE);
    }
  } finally {
    client.close();
  }
}
