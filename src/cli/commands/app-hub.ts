import { parseArgs } from 'node:util';
import { sourceOf, type Application } from '../../api/application.js';
import type { ApplicationSummary, SyncAccepted } from '../../api/wire.js';
import type { HubClient } from '../../core/hub-client.js';
import { hubFlags, hubFrom, withHub } from '../hub.js';
import { parseFormat, printData, printTable, UsageError } from '../output.js';

type Summary = ApplicationSummary;

const USAGE = `usage (hub mode): gitfleet app <list|get|sync|refresh|history|rollback> [NAME] [--hub URL] [-n NS] [-o json|yaml]
  sync NAME [--wait] [--timeout 120s]     rollback NAME HISTORY_ID`;

const options = {
  ...hubFlags,
  namespace: { type: 'string', short: 'n' },
  output: { type: 'string', short: 'o' },
  wait: { type: 'boolean' },
  timeout: { type: 'string', default: '120s' },
  'all-namespaces': { type: 'boolean', short: 'A' },
} as const;

/** `gitfleet app …` through the hub API: what a user without Kubernetes access uses. */
export async function appHubCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options });
  const hub = hubFrom(values);
  if (!hub) throw new UsageError(USAGE);
  const ns = values.namespace ?? 'default';
  const format = parseFormat(values.output);
  const name = (): string =>
    positionals[0] ??
    (() => {
      throw new UsageError(USAGE);
    })();
  const path = (n: string): string =>
    `/api/v1/applications/${encodeURIComponent(ns)}/${encodeURIComponent(n)}`;
  return withHub(hub, async (c) => {
    switch (verb) {
      case 'list': {
        const { items } = await c.request<{ items: Summary[] }>('GET', '/api/v1/applications');
        const shown =
          values['all-namespaces'] || !values.namespace ? items : items.filter((a) => a.namespace === ns);
        if (format !== 'table') printData(shown, format);
        else
          printTable(
            ['namespace', 'name', 'project', 'cluster', 'sync', 'health', 'revision'],
            shown.map((a) => [
              a.namespace,
              a.name,
              a.project,
              a.destination.cluster,
              a.sync,
              a.health,
              (a.revision ?? '').slice(0, 12),
            ]),
          );
        return 0;
      }
      case 'get': {
        const a = await c.request<Application>('GET', path(name()));
        if (format !== 'table') printData(a, format);
        else {
          const s = a.status;
          console.log(`Name:        ${a.metadata.namespace}/${a.metadata.name}`);
          console.log(`Project:     ${a.spec.project ?? 'default'}`);
          console.log(
            `Source:      ${sourceOf(a.spec).repoURL} ${sourceOf(a.spec).path ?? '.'} @ ${sourceOf(a.spec).targetRevision ?? 'HEAD'}`,
          );
          console.log(
            `Destination: ${a.spec.destination.name ?? 'in-cluster'}/${a.spec.destination.namespace ?? ''}`,
          );
          console.log(
            `Sync:        ${s?.sync?.status ?? 'Unknown'} ${(s?.sync?.revision ?? '').slice(0, 12)}`,
          );
          console.log(`Health:      ${s?.health?.status ?? 'Unknown'}`);
          for (const cond of s?.conditions ?? [])
            console.log(`Condition:   ${cond.type}: ${cond.message ?? ''}`);
        }
        return 0;
      }
      case 'sync':
        return sync(c, path(name()), values.wait ?? false, values.timeout);
      case 'refresh':
        await c.request('POST', `${path(name())}/refresh`, { body: {} });
        console.log(`refresh requested for ${ns}/${name()}`);
        return 0;
      case 'history': {
        const a = await c.request<Application>('GET', path(name()));
        const h = a.status?.history ?? [];
        if (format !== 'table') printData(h, format);
        else
          printTable(
            ['id', 'deployed', 'revision'],
            h.map((e) => [String(e.id), e.deployedAt, e.revision]),
          );
        return 0;
      }
      case 'rollback': {
        const id = Number(positionals[1]);
        if (!Number.isInteger(id)) throw new UsageError(USAGE);
        await c.request('POST', `${path(name())}/rollback`, { body: { id } });
        console.log(`${ns}/${name()} rolled back to history ${id}`);
        return 0;
      }
      default:
        throw new UsageError(USAGE);
    }
  });
}

async function sync(c: HubClient, path: string, wait: boolean, timeout: string): Promise<number> {
  const r = await c.request<SyncAccepted>('POST', `${path}/sync`, { body: {} });
  console.log(`sync requested (${r.requested})`);
  if (!wait) return 0;
  const deadline = Date.now() + (Number.parseInt(timeout, 10) || 120) * 1000;
  while (Date.now() < deadline) {
    const a = await c.request<Application>('GET', path);
    const st = a.status;
    const blocked = st?.conditions?.find((c) => c.type === 'SyncWindowBlocked');
    if (st?.handledSyncRequest === r.requested && blocked) {
      console.log(`Refused: ${blocked.message ?? 'a sync window blocks it'}`);
      return 1;
    }
    if (st?.handledSyncRequest === r.requested && st.operationState) {
      console.log(`${st.operationState.phase}: ${st.operationState.message}`);
      return st.operationState.phase === 'Succeeded' ? 0 : 1;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  console.error(`timed out waiting for the sync`);
  return 1;
}
