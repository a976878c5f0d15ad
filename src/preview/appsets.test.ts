import { describe, expect, it } from 'vitest';
import type { ApplicationSet } from '../api/applicationset.js';
import { sameRepo, setReadsRepo } from './appsets.js';

describe('preview: which objects read the previewed repository', () => {
  const repo = 'https://git.example.com/team/fleet.git';

  it('compares repository URLs as the sources do, and a templated or malformed URL names none', () => {
    expect(sameRepo('https://git.example.com/team/fleet', repo)).toBe(true);
    expect(sameRepo('https://git.example.com/team/other.git', repo)).toBe(false);
    expect(sameRepo('{{ .url }}', repo)).toBe(false);
    expect(sameRepo(repo, '{{ .url }}')).toBe(false);
    expect(sameRepo('{{ .url }}', '{{ .url }}')).toBe(false);
  });

  it("an ApplicationSet whose template's repoURL is a template variable does not fail the question", () => {
    const set = (repoURL: string): ApplicationSet =>
      ({
        apiVersion: 'gitfleet.dev/v1alpha1',
        kind: 'ApplicationSet',
        metadata: { name: 's', namespace: 'team' },
        spec: {
          generators: [{ list: { elements: [{ url: repo }] } }],
          template: { metadata: { name: 'x' }, spec: { source: { repoURL }, destination: {} } },
        },
      }) as unknown as ApplicationSet;
    expect(setReadsRepo(set('{{ .url }}'), repo)).toBe(false);
    expect(setReadsRepo(set(repo), repo)).toBe(true);
  });
});
