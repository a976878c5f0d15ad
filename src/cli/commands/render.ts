import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { render, type RenderSpec } from '../../engine/render/index.js';
import { UsageError } from '../output.js';
import { resolve } from 'node:path';

export const renderOptions = {
  type: { type: 'string' },
  recurse: { type: 'boolean' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  'release-name': { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  values: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
} as const;

/** Builds a render spec for a local directory: the directory itself is the confinement root. */
export function localSpec(
  path: string,
  v: {
    type?: string;
    recurse?: boolean;
    include?: string[];
    exclude?: string[];
    'release-name'?: string;
    namespace?: string;
    values?: string[];
  },
): RenderSpec {
  const spec: RenderSpec = { root: resolve(path), path: '' };
  if (v.type) {
    if (v.type !== 'directory' && v.type !== 'kustomize' && v.type !== 'helm')
      throw new UsageError(`--type must be directory, kustomize or helm, not "${v.type}"`);
    spec.type = v.type;
  }
  if (v.recurse || v.include || v.exclude)
    spec.directory = { recursive: !!v.recurse, include: v.include, exclude: v.exclude };
  if (v['release-name'] || v.values || v.namespace)
    spec.helm = { releaseName: v['release-name'], valueFiles: v.values, namespace: v.namespace };
  return spec;
}

/** `gitfleet render <path>`: renders a local directory exactly as the controller would, offline. */
export async function renderCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: renderOptions, allowPositionals: true });
  const path = positionals[0];
  if (!path)
    throw new UsageError(
      'usage: gitfleet render <path> [--type directory|kustomize|helm] [--recurse] [-o yaml|json]',
    );
  const manifests = await render(localSpec(path, values));
  const objects = manifests.map((m) => m.object);
  if (values.output === 'json')
    console.log(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2));
  else console.log(objects.map((o) => stringify(o).trimEnd()).join('\n---\n'));
  return 0;
}
