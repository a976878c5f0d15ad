import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import { cond, makeObject } from './fixtures.js';
import { assessHealth, groupKindKey, groupKindOf, type HealthResult } from './index.js';

const crashingPod = makeObject('v1', 'Pod', {
  status: {
    phase: 'Running',
    containerStatuses: [{ name: 'app', ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
  },
});
const healthyDeployment = makeObject('apps/v1', 'Deployment', {
  metadata: { generation: 1 },
  spec: { replicas: 1 },
  status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
});

describe('assessHealth dispatch', () => {
  it('routes built-in kinds by group and kind, whatever the version', () => {
    expect(assessHealth(crashingPod)?.status).toBe('Degraded');
    expect(assessHealth(healthyDeployment)?.status).toBe('Healthy');
    const hpa = (apiVersion: string) =>
      makeObject(apiVersion, 'HorizontalPodAutoscaler', {
        status: { conditions: [cond('ScalingActive', 'True')] },
      });
    expect(assessHealth(hpa('autoscaling/v1'))?.status).toBe('Healthy');
    expect(assessHealth(hpa('autoscaling/v2'))?.status).toBe('Healthy');
  });

  it('routes every built-in kind to its assessor', () => {
    const cases: [KubeObject, HealthResult['status']][] = [
      [
        makeObject('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: { readyReplicas: 1 } }),
        'Progressing',
      ],
      [makeObject('apps/v1', 'DaemonSet', { status: { desiredNumberScheduled: 2 } }), 'Progressing'],
      [makeObject('apps/v1', 'ReplicaSet', { spec: { replicas: 2 } }), 'Progressing'],
      [makeObject('batch/v1', 'Job', { spec: { suspend: true } }), 'Suspended'],
      [makeObject('batch/v1', 'CronJob', { spec: { suspend: true } }), 'Suspended'],
      [makeObject('v1', 'PersistentVolumeClaim', { status: { phase: 'Lost' } }), 'Degraded'],
      [makeObject('v1', 'Service', { spec: { type: 'LoadBalancer' } }), 'Progressing'],
      [makeObject('networking.k8s.io/v1', 'Ingress'), 'Progressing'],
      [makeObject('apiextensions.k8s.io/v1', 'CustomResourceDefinition'), 'Progressing'],
      [makeObject('apiregistration.k8s.io/v1', 'APIService'), 'Progressing'],
    ];
    for (const [obj, status] of cases) expect(assessHealth(obj)?.status, obj.kind).toBe(status);
  });

  it('uses the generic condition reader for custom resources', () => {
    const widget = makeObject('example.com/v1', 'Widget', {
      status: { conditions: [cond('Stalled', 'True')] },
    });
    expect(assessHealth(widget)?.status).toBe('Degraded');
  });

  it('gives no health to an unknown kind without conditions', () => {
    expect(assessHealth(makeObject('example.com/v1', 'Widget', { spec: { size: 3 } }))).toBeUndefined();
  });

  it('gives no health to kinds that have none, even with conditions', () => {
    for (const [apiVersion, kind] of [
      ['v1', 'ConfigMap'],
      ['v1', 'Secret'],
      ['v1', 'ServiceAccount'],
      ['v1', 'Namespace'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
    ] as const) {
      const obj = makeObject(apiVersion, kind, { status: { conditions: [cond('Ready', 'False')] } });
      expect(assessHealth(obj), kind).toBeUndefined();
    }
  });

  it('does not mistake a custom kind named like a core kind for the core one', () => {
    const fake = makeObject('example.com/v1', 'Pod', { status: { phase: 'Failed' } });
    expect(assessHealth(fake)).toBeUndefined();
  });
});

describe('assessHealth deletion', () => {
  it('is Progressing "Pending deletion" for any object being deleted', () => {
    const deleting = { metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' } };
    expect(assessHealth(makeObject('v1', 'Pod', { ...deleting, status: { phase: 'Failed' } }))).toEqual({
      status: 'Progressing',
      message: 'Pending deletion',
    });
    expect(assessHealth(makeObject('v1', 'ConfigMap', deleting))).toEqual({
      status: 'Progressing',
      message: 'Pending deletion',
    });
  });

  it('wins over overrides', () => {
    const obj = makeObject('v1', 'Pod', { metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' } });
    const overrides = new Map([['Pod', (): HealthResult => ({ status: 'Healthy' })]]);
    expect(assessHealth(obj, { overrides })?.status).toBe('Progressing');
  });
});

describe('assessHealth overrides', () => {
  it('replaces the built-in assessor for its group/kind', () => {
    const overrides = new Map([['Pod', (): HealthResult => ({ status: 'Healthy', message: 'trusted' })]]);
    expect(assessHealth(crashingPod, { overrides })).toEqual({ status: 'Healthy', message: 'trusted' });
  });

  it('defers to the built-in assessor when it returns undefined', () => {
    const overrides = new Map([['Pod', () => undefined]]);
    expect(assessHealth(crashingPod, { overrides })?.status).toBe('Degraded');
  });

  it('applies only to its own group/kind', () => {
    const overrides = new Map([['example.com/Deployment', (): HealthResult => ({ status: 'Degraded' })]]);
    expect(assessHealth(healthyDeployment, { overrides })?.status).toBe('Healthy');
  });

  it('gives health to kinds that have none built in', () => {
    const overrides = new Map([['ConfigMap', (): HealthResult => ({ status: 'Suspended' })]]);
    expect(assessHealth(makeObject('v1', 'ConfigMap'), { overrides })?.status).toBe('Suspended');
  });

  it('turns a throwing override into Unknown with the error message', () => {
    const overrides = new Map([
      [
        'example.com/Widget',
        (): HealthResult => {
          throw new Error('lua: attempt to index a nil value');
        },
      ],
    ]);
    expect(assessHealth(makeObject('example.com/v1', 'Widget'), { overrides })).toEqual({
      status: 'Unknown',
      message: 'lua: attempt to index a nil value',
    });
  });
});

describe('groupKindKey', () => {
  it('is the bare kind for the core group and group/kind otherwise', () => {
    expect(groupKindKey('', 'Pod')).toBe('Pod');
    expect(groupKindKey('apps', 'Deployment')).toBe('apps/Deployment');
    expect(groupKindOf(makeObject('v1', 'Service'))).toBe('Service');
    expect(groupKindOf(makeObject('networking.k8s.io/v1', 'Ingress'))).toBe('networking.k8s.io/Ingress');
  });
});
