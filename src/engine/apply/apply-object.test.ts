import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import type { SyncTask } from '../plan/plan.js';
import { ownershipRefusal } from './apply-object.js';

const cm = (owner?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'shared',
    namespace: 'ns',
    ...(owner ? { annotations: { 'gitfleet.dev/owner': owner } } : {}),
  },
});
const task = (hook: boolean, options: Record<string, string> = {}): SyncTask => ({
  object: cm('apps/me'),
  origin: { file: 'cm.yaml', line: 1 },
  phase: hook ? 'PreSync' : 'Sync',
  wave: 0,
  hook,
  deletePolicies: hook ? ['BeforeHookCreation'] : [],
  options: new Map(Object.entries(options)),
});
const me = { owner: 'apps/me', takeover: false };

describe('ownershipRefusal', () => {
  it('lets an owner overwrite what it owns, hooks included', () => {
    expect(ownershipRefusal(cm('apps/me'), task(false), me)).toBeUndefined();
    expect(ownershipRefusal(cm('apps/me'), task(true), me)).toBeUndefined();
  });

  it("never lets anyone take another Application's object, whatever the options say", () => {
    for (const t of [task(false), task(true), task(false, { Takeover: 'true' })]) {
      expect(ownershipRefusal(cm('team-a/app'), t, me)).toMatch(
        /^ConfigMap\/ns\/shared.* exists and is owned by team-a\/app; refusing to overwrite or delete it/,
      );
      expect(ownershipRefusal(cm('team-a/app'), t, { ...me, takeover: true })).toContain(
        'owned by team-a/app',
      );
    }
  });

  it('adopts an unmanaged object only with Takeover, and a hook never', () => {
    expect(ownershipRefusal(cm(), task(false), me)).toContain('not managed by gitfleet');
    expect(ownershipRefusal(cm(), task(false, { Takeover: 'true' }), me)).toBeUndefined();
    expect(ownershipRefusal(cm(), task(false), { ...me, takeover: true })).toBeUndefined();
    expect(ownershipRefusal(cm(), task(true, { Takeover: 'true' }), { ...me, takeover: true })).toContain(
      'a hook never overwrites or deletes an object it does not own',
    );
  });
});

describe('ownershipRefusal with Argo CD / Flux tracking marks', () => {
  const marked = (annotations: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'shared', namespace: 'ns', annotations },
  });
  it('adopts without Takeover what Argo CD tracked for the same app; refuses another app’s even with Takeover', () => {
    expect(
      ownershipRefusal(
        marked({ 'argocd.argoproj.io/tracking-id': 'me:/ConfigMap:ns/shared' }),
        task(false),
        me,
      ),
    ).toBeUndefined();
    const other = marked({ 'argocd.argoproj.io/tracking-id': 'them:/ConfigMap:ns/shared' });
    expect(ownershipRefusal(other, task(false, { Takeover: 'true' }), { ...me, takeover: true })).toContain(
      "another app's",
    );
    // Hooks never adopt.
    expect(
      ownershipRefusal(
        marked({ 'argocd.argoproj.io/tracking-id': 'me:/ConfigMap:ns/shared' }),
        task(true),
        me,
      ),
    ).toContain('a hook never overwrites');
  });
});
