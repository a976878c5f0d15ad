import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.js';
import { ControllerMetrics, appLabelsOf, repoLabel } from './metrics.js';

const app = (over: Partial<Application['spec']> = {}): Application =>
  ({
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Application',
    metadata: { namespace: 'team-a', name: 'web' },
    spec: {
      project: 'payments',
      source: { repoURL: 'https://bot:s3cret@git.example/org/web.git?token=x' },
      destination: { name: 'prod-eu', namespace: 'web' },
      ...over,
    },
  }) as Application;

async function series(m: ControllerMetrics, name: string): Promise<string[]> {
  const text = await m.registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('ControllerMetrics', () => {
  it('labels an app by project, destination cluster and repository, without credentials', () => {
    expect(appLabelsOf(app())).toEqual({
      project: 'payments',
      dest_cluster: 'prod-eu',
      repo: 'https://git.example/org/web',
    });
    expect(appLabelsOf(app({ project: '', destination: {} }))).toMatchObject({
      project: 'default',
      dest_cluster: 'in-cluster',
    });
    expect(repoLabel('git@github.com:org/repo.git')).toBe('git@github.com:org/repo');
  });

  it('keeps one gitfleet_app_info series per app, replaced on change, dropped when the app goes', async () => {
    const m = new ControllerMetrics({ processMetrics: false });
    m.appState('team-a', 'web', 'OutOfSync', 'Missing', appLabelsOf(app()));
    m.appState('team-a', 'web', 'Synced', 'Healthy', appLabelsOf(app()));
    const info = await series(m, 'gitfleet_app_info');
    expect(info).toHaveLength(1);
    expect(info[0]).toContain('project="payments"');
    expect(info[0]).toContain('dest_cluster="prod-eu"');
    expect(info[0]).toContain('sync_status="Synced"');
    expect(info[0]).not.toContain('s3cret');
    m.appGone('team-a', 'web');
    expect(await series(m, 'gitfleet_app_info')).toHaveLength(0);
  });

  it('counts syncs and errors per object and drops them with the app', async () => {
    const m = new ControllerMetrics({ processMetrics: false });
    m.synced(app(), 'Succeeded');
    m.stageFailed(app(), 'RenderFailed');
    m.stageFailed(app(), 'RenderFailed');
    m.reconcileTimer('team-a/web')({ outcome: 'error' });
    const errors = await series(m, 'gitfleet_reconcile_errors_total');
    expect(errors).toContain(
      'gitfleet_reconcile_errors_total{kind="Application",namespace="team-a",name="web",reason="RenderFailed"} 2',
    );
    expect(errors.some((l) => l.includes('reason="ReconcileError"'))).toBe(true);
    expect((await series(m, 'gitfleet_reconcile_duration_seconds_count'))[0]).toContain('name="web"');
    expect((await series(m, 'gitfleet_app_sync_total'))[0]).toContain('project="payments"');
    m.appGone('team-a', 'web');
    expect(await series(m, 'gitfleet_reconcile_errors_total')).toHaveLength(0);
    expect(await series(m, 'gitfleet_app_sync_total')).toHaveLength(0);
    expect(await series(m, 'gitfleet_reconcile_duration_seconds_count')).toHaveLength(0);
  });

  it('times renders and Git fetches by repository', async () => {
    const m = new ControllerMetrics({ processMetrics: false });
    await m.timeRender(app(), () => Promise.resolve([]));
    await expect(m.timeRender(app(), () => Promise.reject(new Error('bad')))).rejects.toThrow('bad');
    m.gitFetchTimer('https://u:p@git.example/org/web.git')();
    const render = await series(m, 'gitfleet_render_duration_seconds_count');
    expect(render).toHaveLength(2);
    expect(render.join('\n')).toContain('repo="https://git.example/org/web"');
    expect((await series(m, 'gitfleet_git_fetch_duration_seconds_count'))[0]).toContain(
      'repo="https://git.example/org/web"',
    );
  });
});
