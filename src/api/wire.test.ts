import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { wireCopy, WIRE_COPY, WIRE_SOURCE } from './wire-copy.js';

describe('the wire contract', () => {
  it('the web UI reads the same types as the hub writes (run scripts/sync-wire.ts when this fails)', () => {
    expect(readFileSync(WIRE_COPY, 'utf8')).toBe(wireCopy(readFileSync(WIRE_SOURCE, 'utf8')));
  });

  it('is types only, with no imports, so that it can be copied as it is', () => {
    const text = readFileSync(WIRE_SOURCE, 'utf8');
    expect(text).not.toMatch(/^\s*import\s/m);
    const statements = text.split('\n').filter((l) => /^export\s/.test(l));
    expect(statements.length).toBeGreaterThan(10);
    for (const s of statements) expect(s).toMatch(/^export (interface|type) /);
  });
});
