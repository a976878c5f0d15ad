import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import { clientFrom } from '../connect.js';

/** deploy/ relative to this file, both from src/ (tsx) and from dist/src/ (built). */
export function deployDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      readdirSync(join(dir, 'deploy', 'crds'));
      return join(dir, 'deploy');
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('deploy/crds not found next to the gitfleet installation');
}

/** Applies gitfleet's CRDs and waits until the API serves them. */
export async function installCrds(client: KubeClient): Promise<string[]> {
  const dir = join(deployDir(), 'crds');
  const names: string[] = [];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.yaml'))
    .sort()) {
    const crd = parse(readFileSync(join(dir, f), 'utf8')) as KubeObject;
    await client.apply(crd, { fieldManager: 'gitfleet', force: true });
    names.push(crd.metadata.name);
  }
  for (const name of names) {
    for (let i = 0; i < 100; i++) {
      const crd = await client.get({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name,
      });
      const conds =
        (crd.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      if (conds.some((c) => c.type === 'Established' && c.status === 'True')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.invalidateDiscovery();
  return names;
}

export async function installCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { kubeconfig: { type: 'string' }, context: { type: 'string' } },
  });
  const client = await clientFrom(values);
  try {
    for (const n of await installCrds(client)) console.log(`customresourcedefinition ${n} applied`);
  } finally {
    client.close();
  }
  return 0;
}
