import type { KubeObject } from '../../kube/types.js';
import { imageTag } from './image.js';
import { containersOf, dig, podSpecOf } from './pod-spec.js';

/** One thing wrong with one object: the field (dotted path) and why. */
export interface Finding {
  field: string;
  message: string;
}

/** A built-in rule: validates its parameters once, then checks objects. */
export interface BuiltinRule {
  /**
   * Turns `parameters` into a checker; throws an Error whose message names the parameter when
   * they are wrong (the caller prefixes the project and field).
   */
  compile(parameters: Record<string, unknown>): (o: KubeObject) => Finding[];
}

const stringList = (parameters: Record<string, unknown>, key: string, fallback?: string[]): string[] => {
  const v = parameters[key];
  if (v === undefined && fallback) return fallback;
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string'))
    throw new Error(`parameters.${key} must be a list of strings`);
  return v;
};

const requireResources: BuiltinRule = {
  compile(parameters) {
    const requests = stringList(parameters, 'requests', ['cpu', 'memory']);
    const limits = stringList(parameters, 'limits', ['memory']);
    return (o) => {
      const pod = podSpecOf(o);
      if (!pod) return [];
      const out: Finding[] = [];
      for (const c of containersOf(pod)) {
        for (const [kind, names] of [
          ['requests', requests],
          ['limits', limits],
        ] as const) {
          for (const r of names) {
            if (dig(c.container, 'resources', kind, r) === undefined)
              out.push({
                field: `${c.path}.resources.${kind}.${r}`,
                message: `container "${c.name}" has no ${r} ${kind === 'requests' ? 'request' : 'limit'}`,
              });
          }
        }
      }
      return out;
    };
  },
};

const disallowLatestTag: BuiltinRule = {
  compile() {
    return (o) => {
      const pod = podSpecOf(o);
      if (!pod) return [];
      const out: Finding[] = [];
      for (const c of containersOf(pod)) {
        const image = c.container.image;
        if (typeof image !== 'string') continue;
        const tag = imageTag(image);
        if (tag === undefined || tag === 'latest')
          out.push({
            field: `${c.path}.image`,
            message: `container "${c.name}" image "${image}" ${tag ? 'uses the :latest tag' : 'has no tag'}; pin a version or digest`,
          });
      }
      return out;
    };
  },
};

const disallowPrivileged: BuiltinRule = {
  compile() {
    return (o) => {
      const pod = podSpecOf(o);
      if (!pod) return [];
      return containersOf(pod)
        .filter((c) => dig(c.container, 'securityContext', 'privileged') === true)
        .map((c) => ({
          field: `${c.path}.securityContext.privileged`,
          message: `container "${c.name}" is privileged`,
        }));
    };
  },
};

const disallowHostNamespaces: BuiltinRule = {
  compile() {
    return (o) => {
      const pod = podSpecOf(o);
      if (!pod) return [];
      return (['hostNetwork', 'hostPID', 'hostIPC'] as const)
        .filter((k) => pod.spec[k] === true)
        .map((k) => ({ field: `${pod.path}.${k}`, message: `pod shares the host's namespace (${k}: true)` }));
    };
  },
};

const requireLabels: BuiltinRule = {
  compile(parameters) {
    const labels = stringList(parameters, 'labels');
    if (!labels.length) throw new Error('parameters.labels must name at least one label');
    return (o) =>
      labels
        .filter((l) => o.metadata.labels?.[l] === undefined)
        .map((l) => ({ field: `metadata.labels.${l}`, message: `required label "${l}" is missing` }));
  },
};

/** The built-in rules by the name a policy's `rule` uses. */
export const BUILTIN_RULES: Readonly<Record<string, BuiltinRule>> = {
  requireResources,
  disallowLatestTag,
  disallowPrivileged,
  disallowHostNamespaces,
  requireLabels,
};
