import { describe, expect, it } from 'vitest';
import { assessHealth } from './assess.js';
import { cond, makeObject } from './fixtures.js';

const status = (
  apiVersion: string,
  kind: string,
  s?: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => assessHealth({ ...makeObject(apiVersion, kind, s ? { status: s } : {}), ...extra })?.status;

describe('health of the kinds fleets run', () => {
  it('SealedSecret follows Synced', () => {
    expect(status('bitnami.com/v1alpha1', 'SealedSecret')).toBe('Progressing');
    expect(status('bitnami.com/v1alpha1', 'SealedSecret', { conditions: [cond('Synced', 'True')] })).toBe(
      'Healthy',
    );
    const bad = assessHealth(
      makeObject('bitnami.com/v1alpha1', 'SealedSecret', {
        status: {
          conditions: [cond('Synced', 'False', 'ErrUnsealFailed', 'no key could decrypt secret (password)')],
        },
      }),
    );
    expect(bad).toEqual({
      status: 'Degraded',
      message: 'SealedSecret: no key could decrypt secret (password)',
    });
  });

  it('ExternalSecret, SecretStore and ClusterSecretStore follow Ready', () => {
    for (const kind of ['ExternalSecret', 'SecretStore', 'ClusterSecretStore']) {
      expect(status('external-secrets.io/v1beta1', kind)).toBe('Progressing');
      expect(status('external-secrets.io/v1beta1', kind, { conditions: [cond('Ready', 'True')] })).toBe(
        'Healthy',
      );
      expect(
        status('external-secrets.io/v1', kind, { conditions: [cond('Ready', 'False', 'SecretSyncedError')] }),
      ).toBe('Degraded');
    }
  });

  it('Certificate is Progressing while issuing, then follows Ready; Issuers follow Ready', () => {
    const c = (...cs: Record<string, unknown>[]) =>
      status('cert-manager.io/v1', 'Certificate', { conditions: cs });
    expect(c(cond('Ready', 'True'), cond('Issuing', 'True'))).toBe('Progressing');
    expect(c(cond('Ready', 'True'))).toBe('Healthy');
    expect(c(cond('Ready', 'False', 'Failed'))).toBe('Degraded');
    expect(c()).toBe('Progressing');
    expect(status('cert-manager.io/v1', 'ClusterIssuer', { conditions: [cond('Ready', 'True')] })).toBe(
      'Healthy',
    );
    expect(status('cert-manager.io/v1', 'Issuer', { conditions: [cond('Ready', 'False')] })).toBe('Degraded');
  });

  it('Rollout: generation, paused, phase; AnalysisRun by phase', () => {
    const r = (s: Record<string, unknown>, spec: Record<string, unknown> = {}) =>
      assessHealth(
        makeObject('argoproj.io/v1alpha1', 'Rollout', { metadata: { generation: 2 }, spec, status: s }),
      )?.status;
    expect(r({ observedGeneration: '1', phase: 'Healthy' })).toBe('Progressing');
    expect(r({ observedGeneration: '2', phase: 'Healthy' })).toBe('Healthy');
    expect(r({ observedGeneration: 2, phase: 'Degraded', message: 'ProgressDeadlineExceeded' })).toBe(
      'Degraded',
    );
    expect(r({ observedGeneration: 2, phase: 'Progressing' }, { paused: true })).toBe('Suspended');
    expect(r({ observedGeneration: 2, conditions: [cond('InvalidSpec', 'True')] })).toBe('Degraded');
    const a = (phase?: string) => status('argoproj.io/v1alpha1', 'AnalysisRun', phase ? { phase } : {});
    expect([a('Successful'), a('Failed'), a('Error'), a('Inconclusive'), a('Running'), a()]).toEqual([
      'Healthy',
      'Degraded',
      'Degraded',
      'Suspended',
      'Progressing',
      'Progressing',
    ]);
  });

  it('Flagger Canary by phase', () => {
    const c = (phase?: string) => status('flagger.app/v1beta1', 'Canary', phase ? { phase } : {});
    expect([c('Initialized'), c('Succeeded'), c('Failed'), c('Waiting'), c('Progressing'), c()]).toEqual([
      'Healthy',
      'Healthy',
      'Degraded',
      'Suspended',
      'Progressing',
      'Progressing',
    ]);
  });

  it('Crossplane-style Ready/Synced', () => {
    const x = (...cs: Record<string, unknown>[]) =>
      assessHealth(
        makeObject('s3.aws.upbound.io/v1beta1', 'Bucket', {
          metadata: { generation: 1 },
          status: { observedGeneration: 1, conditions: cs },
        }),
      )?.status;
    expect(x(cond('Ready', 'True'), cond('Synced', 'True'))).toBe('Healthy');
    expect(x(cond('Ready', 'False', 'Creating'), cond('Synced', 'True'))).toBe('Progressing');
    expect(x(cond('Ready', 'True'), cond('Synced', 'False', 'ReconcileError', 'AccessDenied'))).toBe(
      'Degraded',
    );
  });

  it('a child Application reports its own health (app-of-apps)', () => {
    const app = (s?: Record<string, unknown>) => status('gitfleet.dev/v1alpha1', 'Application', s);
    expect(app()).toBe('Progressing');
    expect(app({ health: { status: 'Healthy' }, sync: { status: 'Synced' } })).toBe('Healthy');
    expect(app({ health: { status: 'Healthy' }, sync: { status: 'OutOfSync' } })).toBe('Progressing');
    expect(app({ health: { status: 'Degraded', message: 'x' } })).toBe('Degraded');
  });
});
