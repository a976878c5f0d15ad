import { describe, expect, it } from 'vitest';
import { matchesSelector, selectorProblem } from './label-selector.js';

describe('matchesSelector', () => {
  const labels = { env: 'prod', region: 'eu' };

  it('an undefined or empty selector matches everything', () => {
    expect(matchesSelector(labels, undefined)).toBe(true);
    expect(matchesSelector(labels, {})).toBe(true);
    expect(matchesSelector({}, { matchLabels: {}, matchExpressions: [] })).toBe(true);
  });

  it.each([
    ['matchLabels equal', { matchLabels: { env: 'prod' } }, true],
    ['matchLabels differ', { matchLabels: { env: 'dev' } }, false],
    ['matchLabels key absent', { matchLabels: { tier: 'web' } }, false],
    ['In holds', { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu', 'us'] }] }, true],
    ['In misses', { matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] }, false],
    ['In on an absent key', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, false],
    ['In without values', { matchExpressions: [{ key: 'env', operator: 'In', values: [] }] }, false],
    [
      'NotIn on an absent key',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['x'] }] },
      true,
    ],
    ['NotIn hit', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, false],
    ['Exists', { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, true],
    ['Exists on an absent key', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, true],
    [
      'DoesNotExist on a present key',
      { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] },
      false,
    ],
    [
      'an unknown operator',
      { matchExpressions: [{ key: 'env', operator: 'Equals', values: ['prod'] }] },
      false,
    ],
    [
      'labels and expressions ANDed',
      { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] },
      false,
    ],
  ])('%s', (_name, selector, want) => {
    expect(matchesSelector(labels, selector)).toBe(want);
  });

  it('an inherited property is not a label', () => {
    expect(matchesSelector({}, { matchExpressions: [{ key: 'toString', operator: 'Exists' }] })).toBe(false);
    expect(matchesSelector({}, { matchLabels: { constructor: 'x' } })).toBe(false);
  });
});

describe('selectorProblem', () => {
  it('names the expression, its key and what is wrong', () => {
    expect(selectorProblem({ matchExpressions: [{ key: 'env', operator: 'In' }] })).toBe(
      'matchExpressions[0] (key "env"): operator In needs at least one value',
    );
    expect(
      selectorProblem({
        matchExpressions: [
          { key: 'a', operator: 'Exists' },
          { key: 'b', operator: 'Exists', values: ['x'] },
        ],
      }),
    ).toBe('matchExpressions[1] (key "b"): operator Exists takes no values');
    expect(selectorProblem({ matchExpressions: [{ key: 'c', operator: 'Like' }] })).toBe(
      'matchExpressions[0] (key "c"): unknown operator "Like"',
    );
  });

  it('accepts valid selectors', () => {
    expect(selectorProblem(undefined)).toBeUndefined();
    expect(selectorProblem({ matchLabels: { a: 'b' } })).toBeUndefined();
    expect(
      selectorProblem({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }),
    ).toBeUndefined();
  });
});
