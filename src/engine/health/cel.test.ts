import { describe, expect, it } from 'vitest';
import { assessHealth } from './assess.js';
import { compileHealthCheckExprs, HealthCheckExprCache, healthCheckExprsFromConfigMap } from './cel.js';
import { cond, makeObject } from './fixtures.js';

const widgetRule = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  inProgress: "status.?phase.orValue('') == 'Pending'",
  failed: "status.?phase.orValue('') == 'Broken'",
  current: "status.?phase.orValue('') == 'Running'",
};
const widget = (phase?: string) => makeObject('example.com/v1', 'Widget', phase ? { status: { phase } } : {});

describe('CEL health (healthCheckExprs)', () => {
  it('maps inProgress, failed and current to Progressing, Degraded and Healthy', () => {
    const { overrides, errors } = compileHealthCheckExprs([widgetRule], 'test');
    expect(errors).toEqual([]);
    const h = (phase?: string) => assessHealth(widget(phase), { overrides })?.status;
    expect([h('Pending'), h('Broken'), h('Running'), h()]).toEqual([
      'Progressing',
      'Degraded',
      'Healthy',
      'Progressing',
    ]);
  });

  it('takes precedence over a built-in assessor, and an erroring expression counts as false', () => {
    const { overrides } = compileHealthCheckExprs(
      [
        {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          current: 'status.synced == true',
          failed: 'status.missing.x',
        },
      ],
      'test',
    );
    const es = makeObject('external-secrets.io/v1beta1', 'ExternalSecret', {
      status: { synced: true, conditions: [cond('Ready', 'False')] },
    });
    expect(assessHealth(es, { overrides })?.status).toBe('Healthy');
  });

  it('reports a broken expression once, naming the kind, and falls back to the generic assessor', () => {
    const reports: string[] = [];
    const cache = new HealthCheckExprCache((m) => reports.push(m));
    const broken = [{ apiVersion: 'example.com/v1', kind: 'Widget', current: 'status.(' }];
    const overrides = cache.get(broken, 'ConfigMap gitfleet/gitfleet-health-checks');
    cache.get(broken, 'ConfigMap gitfleet/gitfleet-health-checks');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain('example.com/Widget');
    expect(reports[0]).toContain('ConfigMap gitfleet/gitfleet-health-checks');
    const w = makeObject('example.com/v1', 'Widget', { status: { conditions: [cond('Ready', 'True')] } });
    expect(assessHealth(w, { overrides })?.status).toBe('Healthy');
  });

  it('reads the list from a ConfigMap and names the ConfigMap when it is not a list', () => {
    const cm = (text: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'gitfleet-health-checks', namespace: 'gitfleet' },
      data: { healthCheckExprs: text },
    });
    expect(
      healthCheckExprsFromConfigMap(cm('- apiVersion: a/v1\n  kind: B\n  current: "true"\n')).exprs,
    ).toHaveLength(1);
    expect(healthCheckExprsFromConfigMap(cm('a: b')).errors[0]).toContain(
      'ConfigMap gitfleet/gitfleet-health-checks',
    );
  });
});
