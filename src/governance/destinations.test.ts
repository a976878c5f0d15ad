import { describe, expect, it } from 'vitest';
import type { ProjectDestination } from '../api/project.js';
import { builtinDefaultProject } from './default-project.js';
import { checkProjectSource, destinationsAllow } from './project.js';

const C2 = 'https://127.0.0.1:7443';

describe('project destinations as Argo CD writes them (server, name)', () => {
  it('matches destinations[].server against the cluster API URL, globs and spellings alike', () => {
    const exact: ProjectDestination[] = [{ server: `${C2}/`, namespace: 'team-*' }];
    expect(destinationsAllow(exact, 'c2', {}, 'team-a', C2)).toBe(true);
    expect(destinationsAllow(exact, 'c2', {}, 'team-a', 'HTTPS://127.0.0.1:7443')).toBe(true);
    expect(destinationsAllow(exact, 'c2', {}, 'other', C2)).toBe(false);
    expect(destinationsAllow(exact, 'c1', {}, 'team-a', 'https://127.0.0.1:6443')).toBe(false);
    // Without a known URL, a server entry matches nothing (never "any").
    expect(destinationsAllow(exact, 'c2', {}, 'team-a')).toBe(false);
    const glob: ProjectDestination[] = [{ server: 'https://127.0.0.1:*', namespace: '*' }];
    expect(destinationsAllow(glob, 'c2', {}, 'x', C2)).toBe(true);
    expect(destinationsAllow(glob, 'eu', {}, 'x', 'https://eu.example:6443')).toBe(false);
  });

  it('matches destinations[].name like cluster, and an entry with several matches by any of them', () => {
    expect(destinationsAllow([{ name: 'prod-*', namespace: '*' }], 'prod-eu', {}, 'x')).toBe(true);
    expect(destinationsAllow([{ name: 'prod-*', namespace: '*' }], 'dev', {}, 'x')).toBe(false);
    const either: ProjectDestination[] = [{ name: 'dev', server: C2, namespace: '*' }];
    expect(destinationsAllow(either, 'dev', {}, 'x', 'https://dev:6443')).toBe(true);
    expect(destinationsAllow(either, 'c2', {}, 'x', C2)).toBe(true);
    expect(destinationsAllow(either, 'c1', {}, 'x', 'https://127.0.0.1:6443')).toBe(false);
    // The clusterSelector extension still has to hold as well.
    const sel: ProjectDestination[] = [{ server: C2, clusterSelector: { matchLabels: { env: 'prod' } } }];
    expect(destinationsAllow(sel, 'c2', { env: 'dev' }, 'x', C2)).toBe(false);
    expect(destinationsAllow(sel, 'c2', { env: 'prod' }, 'x', C2)).toBe(true);
  });

  it('denies with ! on server or name, whatever the allow entries say', () => {
    const dests: ProjectDestination[] = [
      { server: '*', namespace: '*' },
      { server: '!https://kubernetes.default.svc', namespace: '*' },
      { name: '!prod-*', namespace: '*' },
    ];
    expect(destinationsAllow(dests, 'c2', {}, 'x', C2)).toBe(true);
    expect(destinationsAllow(dests, 'in-cluster', {}, 'x', 'https://kubernetes.default.svc:443/')).toBe(
      false,
    );
    expect(destinationsAllow(dests, 'prod-eu', {}, 'x', 'https://eu:6443')).toBe(false);
  });

  it('keeps the built-in default project refusing the hub cluster and namespace, by server too', () => {
    const p = builtinDefaultProject('gitfleet-system');
    const req = { repoURL: 'https://git.example/a.git', namespace: 'web' };
    expect(checkProjectSource(p, { ...req, cluster: 'c2', server: C2 })).toEqual([]);
    expect(
      checkProjectSource(p, { ...req, cluster: 'in-cluster', server: 'https://kubernetes.default.svc' }),
    ).toEqual(["destination in-cluster/web is not in project default's destinations"]);
    expect(
      checkProjectSource(p, { ...req, cluster: 'c2', server: C2, namespace: 'gitfleet-system' }),
    ).toHaveLength(1);
  });
});
