import { describe, expect, it } from 'vitest';
import { PROMOTE_APPROVE_PREFIX, type Pipeline } from '../api/promotion.js';
import { decide, type StageObservation } from './decide.js';

const stage = (name: string, extra: Partial<Pipeline['spec']['stages'][number]> = {}) => ({
  name,
  applications: { names: [name] },
  file: `envs/${name}/values.yaml`,
  field: 'image.tag',
  ...extra,
});
const pipeline = (status?: Pipeline['status'], annotations?: Record<string, string>): Pipeline => ({
  apiVersion: 'gitfleet.dev/v1alpha1',
  kind: 'Pipeline',
  metadata: { name: 'p', namespace: 'ns', ...(annotations ? { annotations } : {}) },
  spec: {
    git: { repoURL: 'https://git.example/r', author: { name: 'a', email: 'a@x' } },
    stages: [stage('dev', { soak: '1m' }), stage('staging'), stage('prod', { approval: true })],
  },
  ...(status ? { status } : {}),
});
const obs = (...o: [string, boolean][]): StageObservation[] =>
  o.map(([revision, verified]) => ({ revision, verified, message: verified ? 'ok' : 'not yet' }));
const soak = (i: number): number => (i === 0 ? 60_000 : 0);
const T = 1_000_000;

describe('decide', () => {
  it('waits for verification, then soaks, then promotes dev → staging', () => {
    let d = decide({
      pipeline: pipeline(),
      observed: obs(['1.1', false], ['1.0', true], ['1.0', true]),
      now: T,
      soakMs: soak,
    });
    expect(d.promotion?.phase).toBe('Verifying');
    d = decide({
      pipeline: pipeline(),
      observed: obs(['1.1', true], ['1.0', true], ['1.0', true]),
      now: T,
      soakMs: soak,
    });
    expect(d.promotion?.phase).toBe('Soaking');
    const later = decide({
      pipeline: pipeline({ stages: d.stages }),
      observed: obs(['1.1', true], ['1.0', true], ['1.0', true]),
      now: T + 60_000,
      soakMs: soak,
    });
    expect(later.promote).toEqual({ from: 0, to: 1, revision: '1.1', by: 'automated', verified: false });
    expect(later.promotion?.phase).toBe('Promoting');
  });
  it('a revision that changes in the source restarts the soak clock', () => {
    const d = decide({
      pipeline: pipeline(),
      observed: obs(['1.1', true], ['1.0', true], ['1.0', true]),
      now: T,
      soakMs: soak,
    });
    const next = decide({
      pipeline: pipeline({ stages: d.stages }),
      observed: obs(['1.2', true], ['1.0', true], ['1.0', true]),
      now: T + 60_000,
      soakMs: soak,
    });
    expect(next.promotion?.phase).toBe('Soaking');
  });
  it('prod waits for an approval of exactly that revision, and records the approver as unverified', () => {
    const o = obs(['1.1', true], ['1.1', true], ['1.0', true]);
    expect(decide({ pipeline: pipeline(), observed: o, now: T, soakMs: soak }).promotion?.phase).toBe(
      'WaitingApproval',
    );
    expect(
      decide({
        pipeline: pipeline(undefined, { [`${PROMOTE_APPROVE_PREFIX}prod`]: '1.0' }),
        observed: o,
        now: T,
        soakMs: soak,
      }).promote,
    ).toBeUndefined();
    const d = decide({
      pipeline: pipeline(undefined, {
        [`${PROMOTE_APPROVE_PREFIX}prod`]: '1.1',
        'promotion.gitfleet.dev/approved-by-prod': 'alice',
      }),
      observed: o,
      now: T,
      soakMs: soak,
    });
    expect(d.promote).toEqual({ from: 1, to: 2, revision: '1.1', by: 'alice (unverified)', verified: false });
  });
  it('an API approval (status, authenticated) of exactly that revision promotes with a verified approver', () => {
    const o = obs(['1.1', true], ['1.1', true], ['1.0', true]);
    const approvals = (revision: string) => [
      { stage: 'prod', revision, by: 'carol', at: new Date(T).toISOString() },
    ];
    const stale = decide({
      pipeline: pipeline({ approvals: approvals('1.0') }),
      observed: o,
      now: T,
      soakMs: soak,
    });
    expect(stale.promotion?.phase).toBe('WaitingApproval');
    const d = decide({
      // The annotation's claim loses to the authenticated approval.
      pipeline: pipeline(
        { approvals: approvals('1.1') },
        {
          [`${PROMOTE_APPROVE_PREFIX}prod`]: '1.1',
          'promotion.gitfleet.dev/approved-by-prod': 'mallory',
        },
      ),
      observed: o,
      now: T,
      soakMs: soak,
    });
    expect(d.promote).toEqual({ from: 1, to: 2, revision: '1.1', by: 'carol', verified: true });
  });
  it('an in-flight promotion whose target already holds the revision is complete, never promoted again', () => {
    const p = pipeline({
      promotion: { from: 'dev', to: 'staging', revision: '1.1', phase: 'Promoting', startedAt: 'x' },
    });
    const d = decide({
      pipeline: p,
      observed: obs(['1.1', true], ['1.1', false], ['1.0', true]),
      now: T,
      soakMs: soak,
    });
    expect(d.completed).toEqual({ from: 'dev', to: 'staging', revision: '1.1' });
    expect(d.promote).toBeUndefined();
    expect(d.promotion?.phase).toBe('Verifying');
  });
  it('an open pull request is waited on, and a failed analysis stops the revision', () => {
    const pr = pipeline({
      promotion: { from: 'dev', to: 'staging', revision: '1.1', phase: 'PullRequestOpen', startedAt: 'x' },
    });
    const later = T + 120_000;
    expect(
      decide({
        pipeline: pr,
        observed: obs(['1.1', true], ['1.0', true], ['1.0', true]),
        now: later,
        soakMs: () => 0,
      }).promote,
    ).toBeUndefined();
    const p = pipeline();
    p.spec.stages[0] = stage('dev', { analysis: 'error-rate' });
    const d = decide({
      pipeline: p,
      observed: obs(['1.1', true], ['1.0', true], ['1.0', true]),
      now: T,
      soakMs: () => 0,
      analysis: () => 'Failed',
    });
    expect(d.promotion?.phase).toBe('Failed');
    expect(d.promote).toBeUndefined();
  });
});
