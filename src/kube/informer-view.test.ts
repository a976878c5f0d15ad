import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { InformerEvent } from './informer.js';
import { NamespaceView, type ObjectCache } from './informer-view.js';
import type { KubeObject } from './types.js';

/** A cache over every namespace, fed by hand (the view's filtering is what is tested). */
class AllNamespaces extends EventEmitter<{ event: [InformerEvent] }> implements ObjectCache<KubeObject> {
  readonly objects = new Map<string, KubeObject>();
  synced = false;
  started = 0;
  stopped = 0;
  list(): KubeObject[] {
    return [...this.objects.values()];
  }
  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }
  start(): void {
    this.started++;
  }
  stop(): void {
    this.stopped++;
  }
  put(namespace: string, name: string): KubeObject {
    const o: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name } };
    this.objects.set(`${namespace}/${name}`, o);
    this.emit('event', { type: 'added', object: o });
    return o;
  }
}

describe('NamespaceView', () => {
  it('shows one namespace of the shared cache: list, get and events', () => {
    const all = new AllNamespaces();
    const view = new NamespaceView(all, 'team-a');
    const seen: InformerEvent[] = [];
    const listener = (ev: InformerEvent): void => void seen.push(ev);
    view.on('event', listener);
    const mine = all.put('team-a', 'one');
    all.put('team-b', 'one');
    all.synced = true;
    all.emit('event', { type: 'synced' });
    all.emit('event', { type: 'error', error: new Error('watch ended') });

    expect(view.list()).toEqual([mine]);
    expect(view.get('team-a', 'one')).toBe(mine);
    expect(view.get('team-b', 'one')).toBeUndefined();
    expect(view.synced).toBe(true);
    expect(seen.map((e) => e.type)).toEqual(['added', 'synced', 'error']);
    expect(seen[0]).toEqual({ type: 'added', object: mine });

    // A listener taken off hears nothing more, and the shared cache keeps no wrapper of it.
    view.off('event', listener);
    all.put('team-a', 'two');
    expect(seen).toHaveLength(3);
    expect(all.listenerCount('event')).toBe(0);
  });

  it('starts the shared informer but leaves stopping it to its owner', () => {
    const all = new AllNamespaces();
    const view = new NamespaceView(all, 'team-a');
    view.start();
    view.stop();
    expect(all.started).toBe(1);
    expect(all.stopped).toBe(0);
  });
});
