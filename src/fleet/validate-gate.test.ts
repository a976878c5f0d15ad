import { describe, expect, it } from 'vitest';
import { applicationSetProblems } from './validate.js';

const spec = (analysis: unknown): unknown => ({
  generators: [{ clusters: {} }],
  template: { metadata: { name: 'x' }, spec: {} },
  strategy: {
    type: 'RollingSync',
    rollingSync: { steps: [{ clusterSelector: { matchLabels: { env: 'staging' } }, analysis }] },
  },
});

describe('ApplicationSet roll-out step analysis gate', () => {
  it('accepts a step analysis with templates, args and onFailure', () => {
    const problems = applicationSetProblems(
      spec({
        templates: [{ templateName: 'error-rate' }],
        args: [{ name: 'threshold', value: '0.05' }],
        onFailure: 'rollback',
      }),
    );
    expect(problems.filter((p) => p.field.includes('analysis'))).toEqual([]);
  });

  it('names the field of an unknown onFailure and of an unknown key', () => {
    const problems = applicationSetProblems(
      spec({ templates: [{ templateName: 'a', bogus: 1 }], onFailure: 'retry' }),
    );
    const fields = problems.map((p) => p.field);
    expect(fields.some((f) => f.endsWith('analysis.onFailure'))).toBe(true);
    expect(fields.some((f) => f.endsWith('templates[0].bogus'))).toBe(true);
  });
});
