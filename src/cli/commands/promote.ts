import { parseArgs } from 'node:util';
import type { ApprovalAccepted } from '../../hub/promotion-routes.js';
import { hubFlags, hubFrom, withHub } from '../hub.js';
import { parseFormat, printData, UsageError } from '../output.js';

const USAGE = `usage (hub mode): gitfleet promote approve PIPELINE STAGE [--revision REV] [-n NAMESPACE] [--hub URL] [-o json|yaml]`;

/**
 * `gitfleet promote approve`: approves promoting a revision into a stage of a Pipeline through the
 * hub API, so the approver on record is the authenticated user (an annotation is only a claim).
 */
export async function promoteCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...hubFlags,
      namespace: { type: 'string', short: 'n' },
      revision: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
  });
  const [pipeline, stage] = positionals;
  if (verb !== 'approve' || !pipeline || !stage || positionals.length > 2) throw new UsageError(USAGE);
  const format = parseFormat(values.output);
  const hub = hubFrom(values);
  if (!hub) throw new UsageError(`${USAGE}\n(no hub: run 'gitfleet login' or pass --hub)`);
  const ns = values.namespace ?? 'default';
  const path = `/api/v1/pipelines/${encodeURIComponent(ns)}/${encodeURIComponent(pipeline)}/stages/${encodeURIComponent(stage)}/approve`;
  return withHub(hub, async (c) => {
    const r = await c.request<ApprovalAccepted>('POST', path, {
      body: values.revision !== undefined ? { revision: values.revision } : {},
    });
    if (format !== 'table') printData(r, format);
    else console.log(`approved ${r.revision} into ${r.stage} of ${r.pipeline} (as ${r.by})`);
    return 0;
  });
}
