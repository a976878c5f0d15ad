import { describe, expect, it } from 'vitest';

import type { Application } from '../../api/application.js';
import type { Project } from '../../api/project.js';
import { GitfleetError } from '../../core/errors.js';
import { checkProjectSource } from '../../governance/project.js';
import {
  failureCondition,
  primarySourceInPlace,
  revisionsOf,
  splitRevisions,
  withSource,
  withSourcesViolations,
} from './multi-source.js';

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

  it('names every refused source by index and repoURL, replacing the primary-only message', () => {
    const project = {
      metadata: { name: 'team', namespace: 'gitfleet-system' },
      spec: { sourceRepos: ['https://charts/*'], destinations: [{ namespace: '*' }] },
    } as unknown as Project;
    const a = app({
      sources: [
        { repoURL: 'https://git/values', ref: 'values' },
        { repoURL: 'https://charts/web', chart: 'web' },
        { repoURL: 'https://git/extra', path: 'x' },
      ],
    });
    expect(primarySourceInPlace(a)).toBeUndefined();
    // The single-source check's own verdict for the primary (admitted here).
    const pre = checkProjectSource(project, {
      repoURL: a.spec.source.repoURL,
      cluster: 'in-cluster',
      namespace: 'n',
    });
    expect(pre).toEqual([]);
    expect(withSourcesViolations(a, project, pre)).toEqual([
      "spec.sources[0].repoURL https://git/values is not in project team's sourceRepos",
      "spec.sources[2].repoURL https://git/extra is not in project team's sourceRepos",
    ]);
    // A refused primary: its index-less message is replaced, other violations kept.
    const denied = app({
      sources: [
        { repoURL: 'https://git/app', path: 'p' },
        { repoURL: 'https://charts/web', chart: 'web' },
      ],
    });
    primarySourceInPlace(denied);
    const other = "destination in-cluster/kube-system is not in project team's destinations";
    const before = [
      ...checkProjectSource(project, { repoURL: 'https://git/app', cluster: 'in-cluster', namespace: 'n' }),
      other,
    ];
    expect(before[0]).toMatch(/^source https:\/\/git\/app is not/);
    expect(withSourcesViolations(denied, project, before)).toEqual([
      "spec.sources[0].repoURL https://git/app is not in project team's sourceRepos",
      other,
    ]);
    // Single-source apps and a missing Project: unchanged.
    expect(withSourcesViolations(app({ source: { repoURL: 'https://x' } }), project, ['v'])).toEqual(['v']);
    expect(withSourcesViolations(a, undefined, ['no project'])).toEqual(['no project']);
  });

  it('turns a Project refusal met while fetching or rendering into ProjectViolation', () => {
    expect(failureCondition(new GitfleetError('project.Violation', 'x'), 'SourceFailed')).toBe(
      'ProjectViolation',
    );
    expect(failureCondition(new GitfleetError('project.Violation', 'x'), 'RenderFailed')).toBe(
      'ProjectViolation',
    );
    expect(failureCondition(new GitfleetError('source.Failed', 'x'), 'SourceFailed')).toBe('SourceFailed');
    expect(failureCondition(new Error('x'), 'RenderFailed')).toBe('RenderFailed');
  });
});
