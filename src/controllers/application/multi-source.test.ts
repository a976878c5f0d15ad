import { describe, expect, it } from 'vitest';

import type { Application } from '../../api/application.js';
import { primarySourceInPlace, revisionsOf, splitRevisions, withSource } from './multi-source.js';

const app = (spec: Record<string, unknown>): Application =>
  ({ metadata: { name: 'a', namespace: 'n' }, spec: { destination: {}, ...spec } }) as unknown as Application;

describe('multi-source Applications', () => {
  it('sets spec.source to the first rendered source; ref-only sources are not rendered', () => {
    const a = app({
      sources: [
        { repoURL: 'https://git/values', ref: 'values' },
        { repoURL: 'https://charts', chart: 'web', targetRevision: '1.x' },
      ],
    });
    expect(primarySourceInPlace(a)).toBeUndefined();
    expect(a.spec.source).toEqual({ repoURL: 'https://charts', chart: 'web', targetRevision: '1.x' });
    expect(withSource(a, { repoURL: 'x' }).spec).not.toHaveProperty('sources');
    expect(revisionsOf(a, 'abc,1.0.0@sha256:1')).toEqual({ revisions: ['abc', '1.0.0@sha256:1'] });
    expect(revisionsOf(app({ source: { repoURL: 'x' } }), 'abc')).toEqual({});
  });

  it('names what is wrong: no source, a bad or repeated ref, a chart as ref, only refs', () => {
    const msg = (spec: Record<string, unknown>) => primarySourceInPlace(app(spec))?.message;
    expect(msg({})).toMatch(/spec.source or spec.sources is required/);
    expect(msg({ sources: [{ repoURL: 'a', ref: '../x', path: 'p' }] })).toMatch(
      /sources\[0\]\.ref must be a name/,
    );
    expect(
      msg({
        sources: [
          { repoURL: 'a', ref: 'v' },
          { repoURL: 'b', ref: 'v', path: 'p' },
        ],
      }),
    ).toMatch(/sources\[1\]\.ref v is declared twice/);
    expect(msg({ sources: [{ repoURL: 'https://c', chart: 'c', ref: 'v' }] })).toMatch(/only a Git source/);
    expect(msg({ sources: [{ repoURL: 'a', ref: 'v' }] })).toMatch(/every source is ref-only/);
    expect(msg({ sources: [{ ref: 'v' }] })).toMatch(/sources\[0\]\.repoURL is required/);
  });

  it('splits a joined revision and refuses a count mismatch', () => {
    expect(splitRevisions('a,b', 2)).toEqual(['a', 'b']);
    expect(() => splitRevisions('a', 2)).toThrow(/1 parts for 2 sources/);
  });
});
