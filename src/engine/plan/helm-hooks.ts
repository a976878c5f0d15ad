/**
 * Helm's hook annotations read as sync hooks, for charts that carry no gitfleet/Argo CD hook
 * annotation of their own (those win when both are present), with Argo CD's mapping:
 * pre-install/pre-upgrade → PreSync, post-install/post-upgrade → PostSync, `hook-weight` → the
 * wave, `hook-delete-policy` → delete policies. gitfleet syncs have no install/upgrade
 * distinction, so both kinds run on every sync. `test` hooks and the hooks of operations gitfleet
 * does not perform (delete, rollback) are never applied: applying them as plain objects would run
 * a test or a teardown Job on every sync.
 */
import type { KubeObject } from '../../kube/types.js';

export const HELM_HOOK = 'helm.sh/hook';
export const HELM_HOOK_WEIGHT = 'helm.sh/hook-weight';
export const HELM_HOOK_DELETE_POLICY = 'helm.sh/hook-delete-policy';

const PHASE: Record<string, 'PreSync' | 'PostSync' | 'Skip'> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
  test: 'Skip',
  'test-success': 'Skip',
  'test-failure': 'Skip',
  'pre-delete': 'Skip',
  'post-delete': 'Skip',
  'pre-rollback': 'Skip',
  'post-rollback': 'Skip',
};

const POLICY: Record<string, 'BeforeHookCreation' | 'HookSucceeded' | 'HookFailed'> = {
  'before-hook-creation': 'BeforeHookCreation',
  'hook-succeeded': 'HookSucceeded',
  'hook-failed': 'HookFailed',
};

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The gitfleet hook value (`PreSync`, `PostSync,PreSync`, `Skip`) Helm's `helm.sh/hook` maps to,
 * or undefined when the object has no Helm hook. Unknown Helm hook names are an error naming them.
 */
export function helmHookValue(obj: KubeObject): string | undefined {
  const v = obj.metadata.annotations?.[HELM_HOOK];
  if (v === undefined) return undefined;
  const phases = new Set<string>();
  for (const h of list(v)) {
    const p = PHASE[h];
    if (!p) throw new Error(`annotation ${HELM_HOOK}: unknown Helm hook "${h}"`);
    phases.add(p);
  }
  // Only skipped kinds (e.g. `test`, or `pre-delete`): never applied.
  if (phases.size === 0) return undefined;
  if ([...phases].every((p) => p === 'Skip')) return 'Skip';
  phases.delete('Skip');
  return [...phases].join(',');
}

/** `helm.sh/hook-weight` of a Helm hook (the wave within its phase), when it has one. */
export function helmHookWeight(obj: KubeObject): string | undefined {
  if (obj.metadata.annotations?.[HELM_HOOK] === undefined) return undefined;
  return obj.metadata.annotations[HELM_HOOK_WEIGHT];
}

/** `helm.sh/hook-delete-policy` as gitfleet's policy names, when a Helm hook has one. */
export function helmHookDeletePolicy(obj: KubeObject): string | undefined {
  if (obj.metadata.annotations?.[HELM_HOOK] === undefined) return undefined;
  const v = obj.metadata.annotations[HELM_HOOK_DELETE_POLICY];
  if (v === undefined) return undefined;
  return list(v)
    .map((p) => {
      const mapped = POLICY[p];
      if (!mapped) throw new Error(`annotation ${HELM_HOOK_DELETE_POLICY}: unknown policy "${p}"`);
      return mapped;
    })
    .join(',');
}
