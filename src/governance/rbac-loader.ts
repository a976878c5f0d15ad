import type { Logger } from 'pino';
import { API_VERSION } from '../api/application.js';
import type { Project } from '../api/project.js';
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import { Informer } from '../kube/informer.js';
import type { KubeList, KubeObject } from '../kube/types.js';
import {
  decide,
  isRole,
  parsePolicyCsv,
  projectRolePolicy,
  type RbacDecision,
  type RbacPolicy,
  type RbacPrincipal,
  type RbacTarget,
} from './rbac.js';

/** The ConfigMap holding the policy: keys `policy.csv` and `policy.default`. */
export const RBAC_CONFIGMAP = 'gitfleet-rbac';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** The policy a ConfigMap and the Projects' roles make, and what in them was refused. */
export interface BuiltPolicy {
  policy: RbacPolicy;
  /** Errors in the ConfigMap: the loader keeps its previous policy when there are any. */
  configErrors: string[];
  /** Refused project-role lines: those lines are left out, the rest applies. */
  projectErrors: string[];
}

/**
 * Builds the policy. Pure. Without a ConfigMap every user gets role:readonly, which is the hub's
 * built-in behaviour (admins do anything, everyone else reads), so installing RBAC changes nothing
 * until a policy is written.
 */
export function buildPolicy(configMap: ConfigMap | undefined, projects: readonly Project[]): BuiltPolicy {
  const base = configMap
    ? parsePolicyCsv(configMap.data?.['policy.csv'] ?? '', `ConfigMap ${RBAC_CONFIGMAP} policy.csv`)
    : { rules: [], bindings: [], errors: [] };
  const defaultRole = configMap ? configMap.data?.['policy.default']?.trim() : 'role:readonly';
  // The default is a role every user holds: a user or group name there would be a typo at best.
  if (defaultRole && !isRole(defaultRole))
    base.errors.push(
      `ConfigMap ${RBAC_CONFIGMAP} policy.default: "${defaultRole}" is not a role (role:<name> or proj:<project>:<role>)`,
    );
  const projectErrors: string[] = [];
  const policy: RbacPolicy = {
    rules: [...base.rules],
    bindings: [...base.bindings],
    ...(defaultRole ? { defaultRole } : {}),
  };
  for (const p of projects) {
    const r = projectRolePolicy(p.metadata.name, p.spec.roles ?? []);
    policy.rules.push(...r.rules);
    policy.bindings.push(...r.bindings);
    projectErrors.push(...r.errors);
  }
  return { policy, configErrors: base.errors, projectErrors };
}

export interface RbacLoaderOptions {
  /** Where the ConfigMap and the Projects live; default gitfleet-system. */
  namespace?: string;
  /** How often the ConfigMap and Projects are re-read besides their watch; default 5 min. */
  intervalMs?: number;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** An Authorizer whose policy follows the ConfigMap and the Projects. */
export interface LoadedRbac {
  authorizer: { authorize(p: RbacPrincipal, action: string, target: RbacTarget): RbacDecision };
  /** Re-reads now; resolves when the new policy is in force. */
  reload(): Promise<void>;
  stop(): void;
}

/**
 * Loads RBAC from ConfigMap `gitfleet-rbac` and the Projects' roles, and re-reads both when a
 * watch of either sees a change (and every `intervalMs`). A ConfigMap with errors is not applied: the
 * previous policy stays, and at start that means admins only, so a typo never opens the hub up.
 */
export async function loadRbac(client: KubeClient, opts: RbacLoaderOptions): Promise<LoadedRbac> {
  const ns = opts.namespace ?? 'gitfleet-system';
  const intervalMs = opts.intervalMs ?? 300_000;
  let current: RbacPolicy = { rules: [], bindings: [] };
  let lastVersions = '';
  let lastErrors = '';

  const reload = async (): Promise<void> => {
    const [cm, projects] = await Promise.all([
      client.getOrUndefined<ConfigMap>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: ns,
        name: RBAC_CONFIGMAP,
      }),
      client
        .request<KubeList<Project>>({ method: 'GET', path: `/apis/${API_VERSION}/namespaces/${ns}/projects` })
        .then((l) => l.items)
        // Without the Project CRD there are no project roles, not an outage.
        .catch((e: unknown) => {
          if (e instanceof KubeApiError && e.status === 404) return [];
          throw e;
        }),
    ]);
    const versions = JSON.stringify([
      cm?.metadata.resourceVersion,
      projects.map((p) => p.metadata.resourceVersion),
    ]);
    if (versions === lastVersions) return;
    lastVersions = versions;
    const built = buildPolicy(cm, projects);
    const errors = [...built.configErrors, ...built.projectErrors].join('; ');
    if (errors !== lastErrors && errors) opts.log.error({ errors }, 'RBAC policy has errors');
    lastErrors = errors;
    if (built.configErrors.length) return;
    current = built.policy;
    opts.log.info(
      { rules: current.rules.length, bindings: current.bindings.length, default: current.defaultRole ?? '' },
      'RBAC policy loaded',
    );
  };

  // An API server that cannot be read at start leaves the admins-only policy until a poll succeeds.
  await reload().catch((e: unknown) =>
    opts.log.error(
      { err: e instanceof Error ? e.message : String(e) },
      'RBAC policy could not be read; admins only until it can',
    ),
  );
  // Re-read when the ConfigMap or a Project changes (metadata-only watches: an idle hub sends no
  // request for policy), and every `intervalMs` as a safety net. Reloads never overlap; a change
  // during one is read by one more.
  let running = false;
  let again = false;
  const reloadSoon = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    reload()
      .catch((e: unknown) =>
        opts.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'RBAC reload failed'),
      )
      .finally(() => {
        running = false;
        if (again) reloadSoon();
      });
  };
  const watches = [
    new Informer(client, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      fieldSelector: `metadata.name=${RBAC_CONFIGMAP}`,
      metadataOnly: true,
    }),
    new Informer(client, { apiVersion: API_VERSION, kind: 'Project', namespace: ns, metadataOnly: true }),
  ];
  for (const w of watches) {
    w.on('event', (ev) => {
      if (ev.type === 'added' || ev.type === 'modified' || ev.type === 'deleted') reloadSoon();
    });
    w.start();
  }
  const timer = setInterval(reloadSoon, intervalMs);
  timer.unref();
  return {
    authorizer: { authorize: (p, action, target) => decide(current, p, action, target) },
    reload,
    stop: () => {
      clearInterval(timer);
      for (const w of watches) w.stop();
    },
  };
}
