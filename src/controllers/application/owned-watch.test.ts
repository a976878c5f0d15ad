import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { earlyAndLate, sameHiddenClass } from '../../../test/harness/hidden-class.js';
import type { KubeClient } from '../../kube/client.js';
import type { InformerOptions } from '../../kube/informer.js';
import type { KubeObject } from '../../kube/types.js';
import {
  foreignWrite,
  OwnedObjectsWatch,
  slimMetadata,
  type OwnedChange,
  type WatchInformer,
} from './owned-watch.js';

// The full copies of an awaited kind are memory held for a running operation: when no operation
// awaits the kind any more, it goes back to metadata only (after the metadata-only informer has
// listed, so the watch never stops serving the kind).

class FakeInformer extends EventEmitter {
  synced = false;
  stopped = false;
  readonly objects = new Map<string, KubeObject>();
  constructor(readonly opts: InformerOptions) {
    super();
  }
  start(): void {}
  stop(): void {
    this.stopped = true;
  }
  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }
  list(o: KubeObject): void {
    this.objects.set(`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
    this.synced = true;
    this.emit('event', { type: 'synced' });
  }
}

const deploy = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'n', name: 'web' };
const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'n', name: 'web' };
const obj: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'n',
    resourceVersion: '5',
    annotations: { 'gitfleet.dev/owner': 'a/x' },
  },
};

function setup() {
  const made: FakeInformer[] = [];
  const woken: string[] = [];
  const changes: OwnedChange[] = [];
  const watch = new OwnedObjectsWatch(
    {} as KubeClient,
    (owner, c) => {
      woken.push(owner);
      changes.push(c);
    },
    (_c, opts) => {
      const f = new FakeInformer(opts);
      made.push(f);
      return f as unknown as WatchInformer;
    },
  );
  return { watch, made, woken, changes };
}

describe('OwnedObjectsWatch: full informers of awaited kinds', () => {
  it('holds an awaited kind in full while an operation awaits it, and drops it when none does', () => {
    const { watch, made } = setup();
    watch.ensure([deploy]);
    made[0]?.list(obj);
    expect(made[0]?.opts.metadataOnly).toBe(true);

    // Two apps' operations await Deployments: one full informer replaces the metadata one once listed.
    watch.ensure([deploy], { full: true, owner: 'a/x' });
    watch.ensure([deploy], { full: true, owner: 'a/y' });
    expect(made).toHaveLength(2);
    expect(made[1]?.opts.metadataOnly).toBe(false);
    expect(watch.object(ref)).toBeUndefined(); // not listed yet: the caller GETs
    made[1]?.list(obj);
    expect(made[0]?.stopped).toBe(true);
    expect(watch.object(ref)).toEqual(obj);
    expect(watch.fullKinds).toEqual(['apps/v1/Deployment']);

    // One operation ends: the other still awaits the kind, nothing changes.
    watch.release('a/x');
    expect(made).toHaveLength(2);
    expect(watch.fullKinds).toEqual(['apps/v1/Deployment']);

    // The last one ends: a metadata-only informer lists, then takes over; the full one stops.
    watch.release('a/y');
    expect(made).toHaveLength(3);
    expect(made[2]?.opts.metadataOnly).toBe(true);
    expect(watch.object(ref)).toEqual(obj); // still served in full until the replacement listed
    made[2]?.list(obj);
    expect(made[1]?.stopped).toBe(true);
    expect(watch.fullKinds).toEqual([]);
    expect(watch.object(ref)).toBeUndefined();
    expect(watch.resourceVersion(ref)).toBe('5');
  });

  it('a kind awaited again before the downgrade listed stays full (the pending one is stopped)', () => {
    const { watch, made } = setup();
    watch.ensure([deploy], { full: true, owner: 'a/x' });
    made[0]?.list(obj);
    watch.release('a/x');
    expect(made[1]?.opts.metadataOnly).toBe(true);
    watch.ensure([deploy], { full: true, owner: 'a/y' });
    expect(made[1]?.stopped).toBe(true);
    expect(made).toHaveLength(2);
    expect(made[0]?.stopped).toBe(false);
    expect(watch.fullKinds).toEqual(['apps/v1/Deployment']);
  });

  it('only the serving informer wakes owners; a replacement’s first list wakes nobody', () => {
    const { watch, made, woken } = setup();
    watch.ensure([deploy]);
    made[0]?.list(obj);
    made[0]?.emit('event', { type: 'modified', object: obj });
    expect(woken).toEqual(['a/x']);
    watch.ensure([deploy], { full: true, owner: 'a/x' });
    made[1]?.emit('event', { type: 'added', object: obj }); // its initial list, before synced
    expect(woken).toEqual(['a/x']);
    made[1]?.list(obj);
    made[0]?.emit('event', { type: 'modified', object: obj }); // stopped, late: ignored
    made[1]?.emit('event', { type: 'modified', object: obj });
    expect(woken).toEqual(['a/x', 'a/x']);
  });

  it('never holds Secrets in full, and releasing an owner that awaited nothing changes nothing', () => {
    const { watch, made } = setup();
    watch.ensure([{ group: '', version: 'v1', kind: 'Secret', namespace: 'n', name: 's' }], {
      full: true,
      owner: 'a/x',
    });
    expect(made[0]?.opts.metadataOnly).toBe(true);
    watch.release('a/x');
    watch.release('a/z');
    expect(made).toHaveLength(1);
  });
});

describe('foreignWrite: a write by someone else is drift, healed at once', () => {
  const at = (...entries: Record<string, string>[]): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', managedFields: entries },
  });
  const ours = { manager: 'gitfleet', operation: 'Apply', time: '2026-12-02T10:00:00Z' };
  it.each([
    ['gitfleet’s own apply echoing back', [ours], false],
    ['no managedFields at all', [], false],
    [
      'a later hand edit',
      [ours, { manager: 'kubectl-edit', operation: 'Update', time: '2026-12-02T10:00:05Z' }],
      true,
    ],
    [
      'a hand edit in the same second as our apply',
      [ours, { manager: 'kubectl-patch', time: '2026-12-02T10:00:00Z' }],
      true,
    ],
    [
      'an older hand edit, then our apply',
      [{ manager: 'kubectl-edit', time: '2026-12-02T09:00:00Z' }, ours],
      false,
    ],
    [
      'a roll-out’s status write',
      [ours, { manager: 'kube-controller-manager', subresource: 'status', time: '2026-12-02T10:00:09Z' }],
      false,
    ],
    [
      'gitfleet’s delivery manager',
      [{ manager: 'gitfleet-delivery', time: '2026-12-02T10:00:09Z' }, ours],
      false,
    ],
  ])('%s → %s', (_name, entries, want) => {
    expect(foreignWrite(at(...entries))).toBe(want);
  });

  it('the watch says which change is drift (a foreign modification), a deletion, or neither', () => {
    const { watch, made, woken, changes } = setup();
    watch.ensure([deploy]);
    const edited: KubeObject = {
      ...obj,
      metadata: {
        ...obj.metadata,
        managedFields: [{ manager: 'kubectl-edit', time: '2026-12-02T10:00:05Z' }],
      },
    };
    made[0]?.list(obj);
    made[0]?.emit('event', { type: 'modified', object: edited });
    made[0]?.emit('event', { type: 'modified', object: obj });
    made[0]?.emit('event', { type: 'deleted', object: edited });
    made[0]?.emit('event', { type: 'added', object: edited });
    expect(woken).toEqual(['a/x', 'a/x', 'a/x', 'a/x']);
    expect(changes).toEqual(['drift', 'moved', 'deleted', 'moved']);
  });
});

describe('slimMetadata: what a metadata-only watch keeps of each object', () => {
  const identity = { name: 'cm', namespace: 'n', uid: 'u-1', resourceVersion: '42' };
  const full: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      ...identity,
      labels: { 'app.kubernetes.io/managed-by': 'gitfleet' },
      annotations: { 'gitfleet.dev/owner': 'a/x', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      managedFields: [{ manager: 'gitfleet', operation: 'Apply', time: '2026-12-03T07:00:00Z' }],
    },
  };

  it('keeps identity, resourceVersion and the owner; drops managedFields, labels and other annotations', () => {
    expect(slimMetadata(full)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { ...identity, annotations: { 'gitfleet.dev/owner': 'a/x' } },
    });
  });

  it('a cluster-scoped object without an owner keeps no namespace and no annotations', () => {
    const slim = slimMetadata({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'x', resourceVersion: '1' },
    });
    expect(slim.metadata).toEqual({ name: 'x', resourceVersion: '1' });
  });

  it('slim copies made by the thousand share one hidden class (about 200 bytes each otherwise)', () => {
    const [copiesEarly, copiesLate] = earlyAndLate(
      (i) => ({
        ...full,
        metadata: { ...full.metadata, name: `cm-${i}`, uid: `u-${i}`, resourceVersion: String(i) },
      }),
      slimMetadata,
    );
    expect(sameHiddenClass(copiesEarly.metadata, copiesLate.metadata)).toBe(true);
    expect(
      sameHiddenClass(copiesEarly.metadata.annotations ?? {}, copiesLate.metadata.annotations ?? []),
    ).toBe(true);
  });

  it('metadata-only informers keep slim copies; full ones (an operation reads them) keep everything', () => {
    const { watch, made } = setup();
    watch.ensure([deploy]);
    watch.ensure([{ ...deploy, kind: 'StatefulSet' }], { full: true, owner: 'a/x' });
    expect(made[0]?.opts.metadataOnly).toBe(true);
    expect(made[0]?.opts.keep).toBe(slimMetadata);
    expect(made[1]?.opts.metadataOnly).toBe(false);
    expect(made[1]?.opts.keep).toBeUndefined();
  });
});
