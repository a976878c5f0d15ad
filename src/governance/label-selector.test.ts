import { describe, expect, it } from 'vitest';
import { matchesSelector } from './label-selector.js';

describe('matchesSelector', () => {
  const labels = { env: 'prod', region: 'eu' };
  it('follows Kubernetes semantics for every operator', () => {
    expect(matchesSelector({}, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { env: 'prod' } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { env: 'dev' } }, labels)).toBe(false);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] }, labels),
    ).toBe(true);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['x'] }] }, labels),
    ).toBe(true);
    expect(
      matchesSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels),
    ).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels)).toBe(
      false,
    );
  });
});
