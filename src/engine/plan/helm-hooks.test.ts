import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import { hookDeletePolicies, hookPhases, isSkipped, syncWave } from './annotations.js';
import { planSync } from './plan.js';

const obj = (kind: string, name: string, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: kind === 'Job' ? 'batch/v1' : 'v1',
  kind,
  metadata: { name, ...(annotations ? { annotations } : {}) },
});

describe('Helm hooks', () => {
  it('maps pre/post-install/upgrade to PreSync/PostSync, weight to wave, delete policy to policies', () => {
    const pre = obj('Job', 'migrate', {
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '-5',
      'helm.sh/hook-delete-policy': 'hook-succeeded,before-hook-creation',
    });
    expect(hookPhases(pre)).toEqual(['PreSync']);
    expect(syncWave(pre)).toBe(-5);
    expect(hookDeletePolicies(pre)).toEqual(['HookSucceeded', 'BeforeHookCreation']);
    const post = obj('Job', 'notify', { 'helm.sh/hook': 'post-upgrade' });
    expect(hookPhases(post)).toEqual(['PostSync']);
    expect(hookDeletePolicies(post)).toEqual(['BeforeHookCreation']);
    expect(hookPhases(obj('Job', 'both', { 'helm.sh/hook': 'pre-install,post-install' }))).toEqual([
      'PreSync',
      'PostSync',
    ]);
  });

  it('never applies test, delete or rollback hooks', () => {
    expect(isSkipped(obj('Pod', 't', { 'helm.sh/hook': 'test' }))).toBe(true);
    expect(isSkipped(obj('Job', 'd', { 'helm.sh/hook': 'pre-delete' }))).toBe(true);
    expect(hookPhases(obj('Pod', 't', { 'helm.sh/hook': 'test-success' }))).toEqual([]);
  });

  it('lets gitfleet/Argo CD hook annotations win and ignores hook-weight on plain objects', () => {
    const o = obj('Job', 'j', { 'helm.sh/hook': 'pre-install', 'argocd.argoproj.io/hook': 'PostSync' });
    expect(hookPhases(o)).toEqual(['PostSync']);
    expect(syncWave(obj('ConfigMap', 'c', { 'helm.sh/hook-weight': '3' }))).toBe(0);
  });

  it('names an unknown Helm hook', () => {
    expect(() => hookPhases(obj('Job', 'x', { 'helm.sh/hook': 'pre-instal' }))).toThrow(/pre-instal/);
  });

  it('orders a chart: weighted pre hooks, the release, then post hooks; tests left out', () => {
    const manifests = [
      obj('ConfigMap', 'app'),
      obj('Job', 'post', { 'helm.sh/hook': 'post-install,post-upgrade' }),
      obj('Job', 'pre-b', { 'helm.sh/hook': 'pre-install', 'helm.sh/hook-weight': '2' }),
      obj('Job', 'pre-a', { 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-weight': '-1' }),
      obj('Pod', 'test', { 'helm.sh/hook': 'test' }),
    ].map((o) => ({ object: o, origin: { file: 'c.yaml', line: 1 } }));
    const p = planSync({
      manifests,
      owner: 'apps/chart',
      defaultNamespace: 'dest',
      isNamespaced: () => true,
      previousInventory: [],
    });
    const names = p.steps.flatMap((s) => s.tasks.map((t) => `${s.phase}:${t.object.metadata.name}`));
    expect(names).toEqual(['PreSync:pre-a', 'PreSync:pre-b', 'Sync:app', 'PostSync:post']);
  });
});
