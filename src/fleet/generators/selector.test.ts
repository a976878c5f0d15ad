import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '../types.js';
import { filterBySelector, matchesSelector, selectorProblem } from './selector.js';

const labels = { env: 'prod', region: 'eu' };

describe('matchesSelector', () => {
  it('matches everything when the selector is undefined or empty', () => {
    expect(matchesSelector(labels, undefined)).toBe(true);
    expect(matchesSelector(labels, {})).toBe(true);
    expect(matchesSelector({}, { matchLabels: {}, matchExpressions: [] })).toBe(true);
  });

  it('requires every matchLabels entry', () => {
    expect(matchesSelector(labels, { matchLabels: { env: 'prod' } })).toBe(true);
    expect(matchesSelector(labels, { matchLabels: { env: 'prod', region: 'us' } })).toBe(false);
    expect(matchesSelector(labels, { matchLabels: { tier: 'web' } })).toBe(false);
  });

  it.each<[LabelSelector, boolean]>([
    [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] }, true],
    [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, false],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, true],
    [{ matchExpressions: [{ key: 'region', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, true],
    [{ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, false],
    [
      { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] },
      false,
    ],
  ])('applies Kubernetes semantics: %j → %s', (sel, want) => {
    expect(matchesSelector(labels, sel)).toBe(want);
  });
});

describe('selectorProblem', () => {
  it('accepts valid selectors', () => {
    expect(selectorProblem(undefined)).toBeUndefined();
    expect(selectorProblem({ matchExpressions: [{ key: 'a', operator: 'Exists' }] })).toBeUndefined();
  });

  it('rejects In without values, Exists with values, and unknown operators', () => {
    expect(selectorProblem({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toMatch(
      /matchExpressions\[0\] \(key "a"\): operator In needs at least one value/,
    );
    expect(selectorProblem({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).toMatch(
      /takes no values/,
    );
    const bogus = JSON.parse('{"matchExpressions":[{"key":"a","operator":"Gt"}]}') as LabelSelector;
    expect(selectorProblem(bogus)).toMatch(/unknown operator "Gt"/);
  });
});

describe('filterBySelector', () => {
  it('matches flattened param names, including nested goTemplate params', () => {
    const sets = [
      { name: 'a', metadata: { labels: { env: 'prod' } } },
      { name: 'b', metadata: { labels: { env: 'dev' } } },
      { name: 'c', 'metadata.labels.env': 'prod' },
    ];
    const kept = filterBySelector(sets, { matchLabels: { 'metadata.labels.env': 'prod' } });
    expect(kept.map((s) => s.name)).toEqual(['a', 'c']);
  });

  it('compares non-string params by their string form', () => {
    const sets = [
      { replicas: 3, on: true },
      { replicas: 1, on: false },
    ];
    expect(filterBySelector(sets, { matchLabels: { replicas: '3', on: 'true' } })).toEqual([sets[0]]);
  });
});
