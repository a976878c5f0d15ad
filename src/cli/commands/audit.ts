import { parseArgs } from 'node:util';
import type { AuditEntry } from '../../governance/audit/index.js';
import { parseFormat, printData, printTable, UsageError } from '../output.js';

const USAGE = `usage: gitfleet audit [--app [NS/]NAME] [--cluster C] [--commit SHA] [--user U] [--project P]
                      [--since 24h|TIME] [--until TIME] [--limit N] [--hub URL] [--token T] [-o wide|json|yaml]
Reads the audit trail from the hub API (--hub, default $GITFLEET_HUB; token --token or $GITFLEET_TOKEN).
-o wide lists the objects each operation created (+), changed (~), pruned (-), skipped or failed (!).`;

/** `gitfleet audit`: who synced what, where and when, from the hub's append-only audit trail. */
export async function auditCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      app: { type: 'string' },
      cluster: { type: 'string' },
      commit: { type: 'string' },
      user: { type: 'string' },
      project: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      hub: { type: 'string' },
      token: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const hub = values.hub ?? process.env.GITFLEET_HUB;
  if (!hub) throw new UsageError(`the hub's URL is needed: --hub URL or GITFLEET_HUB\n\n${USAGE}`);
  const token = values.token ?? process.env.GITFLEET_TOKEN;
  const format = parseFormat(values.output);
  const params = new URLSearchParams();
  for (const k of ['app', 'cluster', 'commit', 'user', 'project', 'since', 'until', 'limit'] as const) {
    const v = values[k];
    if (v) params.set(k, v);
  }
  const res = await fetch(`${hub.replace(/\/+$/, '')}/api/v1/audit?${params}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  const body = (await res.json().catch(() => ({}))) as { items?: AuditEntry[]; error?: string };
  if (!res.ok) {
    // The hub says why (RBAC names the missing permission): pass it on as it is.
    const why = body.error ?? res.statusText;
    console.error(res.status === 403 ? `forbidden: ${why}` : `hub answered ${res.status}: ${why}`);
    return 1;
  }
  const items = body.items ?? [];
  if (format !== 'table') {
    printData(items, format);
    return 0;
  }
  printTable(
    ['started', 'app', 'cluster', 'commit', 'operation', 'by', 'result', 'changes', 'duration'],
    items.map((e) => [
      String(e.startedAt),
      `${e.appNamespace}/${e.app}`,
      e.cluster,
      e.revision.slice(0, 12),
      e.operation,
      e.user ?? e.trigger,
      e.result,
      summarize(e),
      `${(e.durationMs / 1000).toFixed(1)}s`,
    ]),
  );
  if (values.output === 'wide') {
    for (const e of items) {
      console.log(`\n${e.appNamespace}/${e.app} @ ${e.revision.slice(0, 12)} on ${e.cluster}: ${e.message}`);
      for (const o of e.objects)
        console.log(
          `  ${SIGN[o.action]} ${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}${o.hook ? ' (hook)' : ''}${o.verdict ? ` ${o.verdict} [${(o.values ?? []).join(', ')}]` : ''}`,
        );
    }
  }
  return 0;
}

const SIGN: Record<AuditEntry['objects'][number]['action'], string> = {
  created: '+',
  configured: '~',
  deleted: '-',
  skipped: '=',
  failed: '!',
};

function summarize(e: AuditEntry): string {
  const n = (a: keyof typeof SIGN): number => e.objects.filter((o) => o.action === a).length;
  const parts = [`+${n('created')}`, `~${n('configured')}`, `-${n('deleted')}`];
  if (n('failed')) parts.push(`!${n('failed')}`);
  return parts.join(' ');
}
