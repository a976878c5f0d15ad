import { describe, expect, it } from 'vitest';
import { asKubeObject } from '../render/yaml-docs.js';
import { planSync } from '../plan/plan.js';
import { generatedKey, hookId, isGenerated, liveRefOf } from './generated-hooks.js';

const where = { file: 'app/hooks.yaml', line: 3 };

describe('generateName hooks', () => {
  it('render lets a hook through with its prefix as placeholder name; plan keys it per phase', () => {
    const obj = asKubeObject(
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          generateName: 'migrate-',
          annotations: { 'argocd.argoproj.io/hook': 'PreSync,PostSync' },
        },
      },
      where,
    );
    expect(obj.metadata.name).toBe('migrate-');
    expect(isGenerated(obj)).toBe(true);
    const plan = planSync({
      manifests: [{ object: obj, origin: { file: 'app/hooks.yaml', line: 3 } }],
      owner: 'gitfleet-system/app',
      defaultNamespace: 'n',
      isNamespaced: () => true,
      previousInventory: [],
    });
    const tasks = plan.steps.flatMap((s) => s.tasks);
    expect(tasks.map((t) => t.phase)).toEqual(['PreSync', 'PostSync']);
    expect(plan.inventory).toEqual([]);
    const [pre, post] = tasks;
    if (!pre || !post) throw new Error('two tasks expected');
    expect(generatedKey(pre)).not.toBe(generatedKey(post));
    expect(hookId('gitfleet-system/app', pre)).toMatch(/^[0-9a-f]{16}$/);
    expect(hookId('gitfleet-system/app', pre)).not.toBe(hookId('gitfleet-system/other', pre));
    expect(liveRefOf(pre, {}).name).toBe('migrate-');
    expect(liveRefOf(pre, { [generatedKey(pre)]: 'migrate-abcde' }).name).toBe('migrate-abcde');
  });

  it('refuses generateName on an object that is not a hook, naming the field', () => {
    expect(() =>
      asKubeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cfg-' } }, where),
    ).toThrow(/ConfigMap cfg-: metadata.generateName is only supported on hooks/);
    expect(() => asKubeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, where)).toThrow(
      /ConfigMap has no metadata.name/,
    );
  });
});
