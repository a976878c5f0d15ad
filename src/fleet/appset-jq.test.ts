// ignoreApplicationDifferences with jqPathExpressions, through the real jq (Debian's `jq`).
import { describe, expect, it } from 'vitest';
import { ignoreDifferences } from './appset.js';
import { withJqPointers } from './appset-jq.js';
import { TemplateError } from './errors.js';

const app = (
  sources: { repoURL: string; targetRevision: string }[],
  extra: Record<string, unknown> = {},
) => ({
  apiVersion: 'gitfleet.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'billing', namespace: 'gitfleet-system' },
  spec: { project: 'default', sources, destination: { name: 'in-cluster', namespace: 'billing' }, ...extra },
});

describe('ignoreApplicationDifferences jqPathExpressions', () => {
  it("keeps the existing value of what the expression selects (Argo's documented select() on sources)", async () => {
    const existing = app(
      [
        { repoURL: 'https://git.example/charts.git', targetRevision: '1.2.3' },
        { repoURL: 'https://git.example/values.git', targetRevision: 'hotfix' },
      ],
      { info: [{ name: 'owner', value: 'ops' }] },
    );
    const desired = app([
      { repoURL: 'https://git.example/charts.git', targetRevision: '1.3.0' },
      { repoURL: 'https://git.example/values.git', targetRevision: 'main' },
    ]);
    const rules = [
      { jqPathExpressions: ['.spec.sources[] | select(.repoURL | contains("values")).targetRevision'] },
      { name: 'other', jqPathExpressions: ['.spec.sources'] },
      { jqPathExpressions: ['.spec.info'] },
    ];
    const resolved = await withJqPointers(rules, desired, existing);
    expect(resolved).toEqual([
      { jsonPointers: ['/spec/sources/1/targetRevision'] },
      { name: 'other' },
      { jsonPointers: ['/spec/info'] },
    ]);
    const out = ignoreDifferences(desired, existing, resolved);
    // The values source keeps the hand-set revision, the chart moves, and info is kept.
    expect(out.spec.sources.map((s) => s.targetRevision)).toEqual(['1.3.0', 'hotfix']);
    expect((out.spec as Record<string, unknown>).info).toEqual([{ name: 'owner', value: 'ops' }]);
  });

  it('without an existing Application, or without jq rules, nothing runs', async () => {
    const desired = app([]);
    expect(await withJqPointers([{ jqPathExpressions: ['.spec'] }], desired, undefined)).toEqual([
      { jqPathExpressions: ['.spec'] },
    ]);
    expect(await withJqPointers([{ jsonPointers: ['/spec/project'] }], desired, desired)).toEqual([
      { jsonPointers: ['/spec/project'] },
    ]);
  });

  it('an expression jq cannot compile is an error naming its field', async () => {
    const a = app([]);
    const err = await withJqPointers(
      [{ jsonPointers: [] }, { jqPathExpressions: ['.spec |||'] }],
      a,
      a,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as TemplateError).fieldPath).toBe(
      'spec.ignoreApplicationDifferences[1].jqPathExpressions[0]',
    );
  });
});
