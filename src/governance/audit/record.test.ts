import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Application } from '../../api/application.js';
import { REFRESH_ANNOTATION, SYNC_REQUESTED_BY_ANNOTATION } from '../../api/application.js';
import { HubKey } from '../hub-key.js';
import {
  auditRecordOf,
  maskSecretValues,
  signSyncRequester,
  SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION,
} from './record.js';

const sha = (c: string): string => c.repeat(40);

function app(
  opts: { annotations?: Record<string, string>; targetRevision?: string; history?: string[] } = {},
): Application {
  return {
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Application',
    metadata: {
      name: 'web',
      namespace: 'apps',
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    spec: {
      project: 'team-a',
      source: {
        repoURL: 'https://git.example/web.git',
        ...(opts.targetRevision ? { targetRevision: opts.targetRevision } : {}),
      },
      destination: { name: 'prod', namespace: 'web' },
    },
    status: {
      history: (opts.history ?? []).map((revision, id) => ({
        id,
        revision,
        deployedAt: '2026-01-01T00:00:00Z',
        source: { repoURL: 'https://git.example/web.git' },
      })),
    },
  };
}

const ref = (kind: string, name: string) => ({ apiVersion: 'v1', kind, namespace: 'web', name });
const input = (a: Application, manual: boolean, message = 'ok') => ({
  app: a,
  revision: sha('b'),
  manual,
  startedAt: new Date('2026-01-01T00:00:00Z'),
  finishedAt: new Date('2026-01-01T00:00:02.5Z'),
  result: {
    phase: 'Succeeded' as const,
    message,
    changes: [
      { ref: ref('ConfigMap', 'a'), action: 'configured' as const, diff: '- value: old\n+ value: new' },
      { ref: ref('Secret', 's'), action: 'unchanged' as const },
      { ref: ref('ConfigMap', 'gone'), action: 'deleted' as const },
      { ref: ref('Job', 'migrate'), action: 'created' as const, hook: true, message: 'hook ran' },
    ],
  },
  manifests: [
    {
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's' },
        stringData: { password: 'hunter2-long' },
      },
      origin: { file: 's.yaml', line: 1 },
    },
    {
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 't' },
        data: { token: Buffer.from('tok-en-9').toString('base64') },
      },
      origin: { file: 't.yaml', line: 1 },
    },
  ],
});

describe('audit records', () => {
  it('names objects and actions only: no diffs, no per-object messages, unchanged ones counted', () => {
    const r = auditRecordOf(input(app(), false));
    expect(r).toMatchObject({
      operation: 'auto-sync',
      trigger: 'automated',
      appNamespace: 'apps',
      app: 'web',
      project: 'team-a',
      cluster: 'prod',
      namespace: 'web',
      revision: sha('b'),
      durationMs: 2500,
      unchanged: 1,
    });
    expect(r.objects).toEqual([
      { kind: 'ConfigMap', namespace: 'web', name: 'a', action: 'configured' },
      { kind: 'ConfigMap', namespace: 'web', name: 'gone', action: 'deleted' },
      { kind: 'Job', namespace: 'web', name: 'migrate', action: 'created', hook: true },
    ]);
    expect(JSON.stringify(r)).not.toContain('old');
  });

  it('takes the user only for a manual sync the hub signed', () => {
    const key = new HubKey(randomBytes(32));
    const requested = '2024-05-01T10:00:00.000Z';
    const annotations = {
      [REFRESH_ANNOTATION]: requested,
      [SYNC_REQUESTED_BY_ANNOTATION]: 'alice',
      [SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION]: signSyncRequester(key, 'apps', 'web', 'alice', requested),
    };
    expect(auditRecordOf({ ...input(app({ annotations }), true), hubKey: key })).toMatchObject({
      operation: 'manual-sync',
      trigger: 'user',
      user: 'alice',
    });
    // The annotation stays on the Application; a later automated sync is not alice's.
    expect(auditRecordOf({ ...input(app({ annotations }), false), hubKey: key }).user).toBeUndefined();
  });

  describe('a requester the hub did not sign is recorded as unverified, never as the user', () => {
    const key = new HubKey(randomBytes(32));
    const requested = '2024-05-01T10:00:00.000Z';
    const good = signSyncRequester(key, 'apps', 'web', 'alice', requested);
    const cases: [string, Record<string, string>, { handledSyncRequest: string }?][] = [
      ['no signature (kubectl annotate)', { [SYNC_REQUESTED_BY_ANNOTATION]: 'alice' }],
      [
        'signature of another user',
        {
          [SYNC_REQUESTED_BY_ANNOTATION]: 'mallory',
          [SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION]: good,
        },
      ],
      [
        'signature of another request stamp',
        {
          [SYNC_REQUESTED_BY_ANNOTATION]: 'alice',
          [SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION]: signSyncRequester(key, 'apps', 'web', 'alice', 'x'),
        },
      ],
      [
        'signature for another app',
        {
          [SYNC_REQUESTED_BY_ANNOTATION]: 'alice',
          [SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION]: signSyncRequester(key, 'apps', 'db', 'alice', requested),
        },
      ],
      [
        'an old signed request written back (replay)',
        { [SYNC_REQUESTED_BY_ANNOTATION]: 'alice', [SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION]: good },
        { handledSyncRequest: '2024-06-01T00:00:00.000Z' },
      ],
      [
        'signed by another key',
        {
          [SYNC_REQUESTED_BY_ANNOTATION]: 'alice',
          [SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION]: signSyncRequester(
            new HubKey(randomBytes(32)),
            'apps',
            'web',
            'alice',
            requested,
          ),
        },
      ],
      [
        'no hub key to verify with',
        { [SYNC_REQUESTED_BY_ANNOTATION]: 'alice', [SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION]: good },
      ],
    ];
    it.each(cases)('%s', (what, extra, status) => {
      const a = app({ annotations: { [REFRESH_ANNOTATION]: requested, ...extra } });
      if (status) a.status = { ...a.status, ...status };
      const withKey = what === 'no hub key to verify with' ? {} : { hubKey: key };
      const r = auditRecordOf({ ...input(a, true), ...withKey });
      expect(r.trigger).toBe('unverified');
      expect(r.user).toMatch(/^kubectl \(unverified: (alice|mallory)\)$/);
    });
  });

  it('records a request with no requester at all as kubectl', () => {
    const a = app({ annotations: { [REFRESH_ANNOTATION]: 'now' } });
    const r = auditRecordOf({ ...input(a, true), hubKey: new HubKey(randomBytes(32)) });
    expect(r).toMatchObject({ trigger: 'unverified', user: 'kubectl' });
  });

  it('recognises a rollback: a manual sync pinned to an earlier revision from history', () => {
    const back = app({ targetRevision: sha('b'), history: [sha('b'), sha('c')] });
    expect(auditRecordOf(input(back, true)).operation).toBe('rollback');
    const again = app({ targetRevision: sha('b'), history: [sha('c'), sha('b')] });
    expect(auditRecordOf(input(again, true)).operation).toBe('manual-sync');
  });

  it('masks Secret values out of the message, raw and encoded', () => {
    const msg = `apply failed: invalid value "hunter2-long" and ${Buffer.from('hunter2-long').toString('base64')} and tok-en-9`;
    const r = auditRecordOf(input(app(), false, msg));
    expect(r.message).toBe('apply failed: invalid value "***" and *** and ***');
  });

  it('leaves very short values alone rather than wrecking the message', () => {
    const m = [
      {
        object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, stringData: { on: 'yes' } },
        origin: { file: 'x', line: 1 },
      },
    ];
    expect(maskSecretValues('yes, it synced', m)).toBe('yes, it synced');
  });
});
