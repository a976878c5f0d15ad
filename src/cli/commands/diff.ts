import { parseArgs } from 'node:util';
import { formatObjectRef } from '../../core/object-ref.js';
import { InventoryStore } from '../../engine/inventory/store.js';
import { render } from '../../engine/render/index.js';
import { compareApp } from '../../engine/sync/compare.js';
import { clientFrom } from '../connect.js';
import { UsageError } from '../output.js';
import { localSpec, renderOptions } from './render.js';

/**
 * `gitfleet diff <path> --kubeconfig …`: renders locally and compares with the cluster by
 * server-side dry-run, as the controller would; Secret values are masked. Exit 1 when different.
 */
export async function diffCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...renderOptions,
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      app: { type: 'string' },
    },
    allowPositionals: true,
  });
  const path = positionals[0];
  if (!path)
    throw new UsageError(
      'usage: gitfleet diff <path> [--kubeconfig FILE] [--context CTX] [-n NAMESPACE] [--app NS/NAME]',
    );
  const manifests = await render(localSpec(path, values));
  const client = await clientFrom(values);
  try {
    const owner = values.app ?? `cli/${values.namespace ?? 'default'}`;
    const cmp = await compareApp(
      { owner, manifests, defaultNamespace: values.namespace ?? 'default', ignore: [] },
      { client, inventory: new InventoryStore(client) },
    );
    for (const r of cmp.resources) {
      if (r.status === 'Synced') continue;
      console.log(`=== ${formatObjectRef(r.ref)}${r.message ? ` (${r.message})` : ''}`);
      if (r.diff) console.log(r.diff);
    }
    const n = cmp.resources.filter((r) => r.status === 'OutOfSync').length;
    console.error(`${n} of ${cmp.resources.length} object(s) differ`);
    return n > 0 ? 1 : 0;
  } finally {
    client.close();
  }
}
