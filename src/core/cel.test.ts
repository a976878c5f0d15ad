import { describe, expect, it } from 'vitest';
import { celEnvironment, celModule } from './cel.js';

describe('CEL on first use', () => {
  it('loads cel-js synchronously when first asked, once (start-lazy.test.ts: not before)', () => {
    const m = celModule();
    expect(celModule()).toBe(m);
    expect(m.parse('1 + 2 == 3')({})).toBe(true);
  });

  it('shares one environment where unlisted variables are dynamic and optional types allowed', () => {
    const env = celEnvironment();
    expect(celEnvironment()).toBe(env);
    const program = env.parse('status.?phase.orValue("none") == "Ready"') as (c: object) => unknown;
    expect(program({ status: { phase: 'Ready' } })).toBe(true);
    expect(program({ status: {} })).toBe(false);
  });
});
