/**
 * Flux-style post-build variable substitution over rendered manifests: `${var}`, `${var:=default}`
 * and `${var:-default}` (the default is used when the variable is unset or empty), `$${var}` for a
 * literal `${var}`. Each object is written as YAML, substituted, and read back (as Flux does, so
 * `replicas: ${count}` becomes a number). Substitution is strict: a variable without a value or a
 * default is a RenderError naming the object's file and the variable, and nothing is returned —
 * so nothing is applied. Bare `$var` is left alone (shell scripts in ConfigMaps keep theirs).
 * Objects annotated `gitfleet.dev/substitute: disabled` (or Flux's annotation) are left as they are.
 * Error messages name variables, never values (values may come from Secrets).
 */
import { parse as parseYaml, stringify } from 'yaml';

import type { KubeObject } from '../../kube/types.js';
import { RenderError } from '../errors.js';
import type { Manifest } from '../manifest.js';

export const SUBSTITUTE_ANNOTATIONS = ['gitfleet.dev/substitute', 'kustomize.toolkit.fluxcd.io/substitute'];

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/u;
// `$${…}` (escape) or `${name}` / `${name:=default}` / `${name:-default}`; defaults hold no `}`.
const REF = /\$(\$)?\{([^}:]*)(?::([=-])([^}]*))?\}/gu;

/** Substitutes `vars` into every manifest; the input is not modified. */
export function substituteManifests(
  manifests: readonly Manifest[],
  vars: ReadonlyMap<string, string>,
): Manifest[] {
  return manifests.map((m) => {
    if (disabled(m.object)) return m;
    const text = stringify(m.object, { lineWidth: 0 });
    if (!text.includes('${')) return m;
    const out = substituteText(text, vars, m.origin.file, describe(m.object));
    let obj: unknown;
    try {
      obj = parseYaml(out, { maxAliasCount: 100 });
    } catch (cause) {
      throw new RenderError(
        `${describe(m.object)}: after variable substitution the object is not valid YAML`,
        {
          file: m.origin.file,
          cause,
          code: 'render.Substitution',
        },
      );
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      throw new RenderError(
        `${describe(m.object)}: after variable substitution the object is not a mapping`,
        {
          file: m.origin.file,
          code: 'render.Substitution',
        },
      );
    return { object: obj as KubeObject, origin: m.origin };
  });
}

/** Substitutes `text`; `file` and `what` name the place in errors. */
export function substituteText(
  text: string,
  vars: ReadonlyMap<string, string>,
  file: string,
  what = 'manifest',
): string {
  return text.replace(
    REF,
    (
      whole: string,
      escape: string | undefined,
      name: string,
      op: string | undefined,
      def: string | undefined,
    ) => {
      if (escape) return whole.slice(1);
      const n = name.trim();
      if (!NAME.test(n))
        throw new RenderError(
          `${what}: ${JSON.stringify(whole)} is not a variable reference (names are letters, digits and _)`,
          {
            file,
            code: 'render.Substitution',
          },
        );
      const v = vars.get(n);
      if (v !== undefined && (v !== '' || op === undefined)) return v;
      if (op !== undefined) return def ?? '';
      throw new RenderError(`${what}: variable ${n} is not set and has no default (\${${n}:=default})`, {
        file,
        code: 'render.MissingVariable',
      });
    },
  );
}

function disabled(obj: KubeObject): boolean {
  return SUBSTITUTE_ANNOTATIONS.some((a) => obj.metadata.annotations?.[a] === 'disabled');
}

function describe(obj: KubeObject): string {
  const ns = obj.metadata.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj.kind} ${ns}${obj.metadata.name}`;
}

/**
 * The destination Cluster's labels and annotations as variables: `cluster_<key>` with every
 * character outside [A-Za-z0-9_] as `_` (`topology.kubernetes.io/region` →
 * `cluster_topology_kubernetes_io_region`), plus `cluster_name`. Annotations first, so a label of
 * the same variable name wins.
 */
export function clusterVariables(cluster: {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}): Map<string, string> {
  const out = new Map<string, string>();
  for (const src of [cluster.annotations ?? {}, cluster.labels ?? {}])
    for (const [k, v] of Object.entries(src)) out.set(`cluster_${k.replace(/[^A-Za-z0-9_]/gu, '_')}`, v);
  out.set('cluster_name', cluster.name);
  return out;
}
