import type { KubeObject } from '../../kube/types.js';

/** A pod spec inside an object, with the dotted path that leads to it (for naming fields). */
export interface PodSpecAt {
  path: string;
  spec: Record<string, unknown>;
}

/** A container with the path of its entry, e.g. `spec.template.spec.containers[0]`. */
export interface ContainerAt {
  path: string;
  name: string;
  container: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a nested field by keys; undefined when any step is missing or not an object. */
export function dig(obj: unknown, ...keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    if (!isRecord(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/**
 * Where the pod template lives per kind. Unknown kinds with `spec.template.spec.containers`
 * (custom workloads such as Argo Rollouts) are read like Deployments.
 */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
const TEMPLATE_PATH = ['spec', 'template', 'spec'];

/** The pod spec of a workload object; undefined for objects that run no pods. */
export function podSpecOf(o: KubeObject): PodSpecAt | undefined {
  const keys = POD_SPEC_PATHS[o.kind] ?? TEMPLATE_PATH;
  const spec = dig(o, ...keys);
  if (!isRecord(spec) || !Array.isArray(spec.containers)) return undefined;
  return { path: keys.join('.'), spec };
}

/** Every container and init container of a pod spec, with its path. */
export function containersOf(pod: PodSpecAt): ContainerAt[] {
  const out: ContainerAt[] = [];
  for (const list of ['initContainers', 'containers']) {
    const items = pod.spec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((c: unknown, i) => {
      if (!isRecord(c)) return;
      out.push({
        path: `${pod.path}.${list}[${i}]`,
        name: typeof c.name === 'string' ? c.name : `#${i}`,
        container: c,
      });
    });
  }
  return out;
}
