import { describe, expect, it } from 'vitest';
import type { Manifest } from '../engine/manifest.js';
import { renderDelta } from './objects.js';

const m = (kind: string, name: string, data: Record<string, unknown> = {}, namespace?: string): Manifest =>
  ({
    object: { apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...data },
  }) as unknown as Manifest;

describe('renderDelta', () => {
  it('splits two renders into created, changed and deleted objects by identity', () => {
    const d = renderDelta(
      [m('ConfigMap', 'a', { data: { x: '1' } }), m('ConfigMap', 'b'), m('Service', 'gone')],
      [m('ConfigMap', 'a', { data: { x: '2' } }), m('ConfigMap', 'b', {}, 'apps'), m('Secret', 'new')],
      'apps',
    );
    expect(d.changed.map((o) => o.metadata.name)).toEqual(['a']);
    expect(d.created.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Secret/new']);
    expect(d.deleted.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/gone']);
  });

  it('reads the default namespace into identities: the same object is unchanged', () => {
    const d = renderDelta([m('ConfigMap', 'a', {}, 'apps')], [m('ConfigMap', 'a')], 'apps');
    expect(d).toEqual({ created: [], changed: [], deleted: [] });
  });
});
