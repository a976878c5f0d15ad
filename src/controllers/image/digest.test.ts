// ImagePolicy digest reflection in the image controller: how often the registry is asked for the
// chosen tag's digest under Never / IfNotPresent / Always, and what status.latestRef records.
// The management cluster and the registry are in-memory stand-ins: this is the decision logic.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ImagePolicy, ImageRepository } from '../../api/image.js';
import type { TagScanner } from '../../imageupdate/scan.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import { ImageController } from './controller.js';

type Reflect = 'Never' | 'IfNotPresent' | 'Always';

function setup(reflect: Reflect | undefined) {
  let now = 1_000_000;
  const objects: KubeObject[] = [
    {
      apiVersion: 'gitfleet.dev/v1alpha1',
      kind: 'ImageRepository',
      metadata: { name: 'web', namespace: 'team', generation: 1 },
      spec: { image: 'reg.example/team/web', interval: '1m' },
    } as ImageRepository,
    {
      apiVersion: 'gitfleet.dev/v1alpha1',
      kind: 'ImagePolicy',
      metadata: { name: 'web', namespace: 'team', generation: 1 },
      spec: {
        imageRepositoryRef: { name: 'web' },
        policy: { semver: { range: '^1.0.0' } },
        ...(reflect ? { digestReflectionPolicy: reflect } : {}),
      },
    } as ImagePolicy,
  ];
  const client = {
    list: async (_v: string, kind: string) => ({ items: objects.filter((o) => o.kind === kind) }),
    replaceStatus: async (ref: { kind: string; name: string }, status: unknown) => {
      const o = objects.find((x) => x.kind === ref.kind && x.metadata.name === ref.name) as {
        status?: unknown;
      };
      o.status = structuredClone(status);
    },
  } as unknown as KubeClient;
  const registry = { tags: ['1.0.0'], digest: `sha256:${'a'.repeat(64)}`, lookups: 0 };
  const scanner = {
    scan: async () => ({ canonical: 'reg.example/team/web', tags: [...registry.tags] }),
    digest: async () => {
      registry.lookups++;
      return registry.digest;
    },
  } as unknown as TagScanner;
  const ctl = new ImageController({ client, log: pino({ level: 'silent' }), scanner, now: () => now });
  const policy = () => objects[1] as ImagePolicy;
  return { ctl, registry, policy, advance: (ms: number) => (now += ms) };
}

describe('digest reflection', () => {
  it('Never (the default) asks the registry for no digest and records none', async () => {
    const s = setup(undefined);
    await s.ctl.pass();
    expect(s.policy().status?.latestRef).toEqual({ name: 'reg.example/team/web', tag: '1.0.0' });
    expect(s.registry.lookups).toBe(0);
  });

  it('IfNotPresent asks once per chosen tag, not per scan', async () => {
    const s = setup('IfNotPresent');
    await s.ctl.pass();
    expect(s.policy().status?.latestRef?.digest).toBe(s.registry.digest);
    s.advance(120_000); // the next scan is due
    await s.ctl.pass();
    expect(s.registry.lookups).toBe(1);
    s.registry.tags.push('1.1.0');
    s.registry.digest = `sha256:${'b'.repeat(64)}`;
    s.advance(120_000);
    await s.ctl.pass();
    expect(s.policy().status?.latestRef).toEqual({
      name: 'reg.example/team/web',
      tag: '1.1.0',
      digest: `sha256:${'b'.repeat(64)}`,
    });
    expect(s.registry.lookups).toBe(2);
  });

  it('Always asks after every scan and records a tag pushed again', async () => {
    const s = setup('Always');
    await s.ctl.pass();
    await s.ctl.pass(); // no new scan yet: no new lookup
    expect(s.registry.lookups).toBe(1);
    s.registry.digest = `sha256:${'c'.repeat(64)}`;
    s.advance(120_000);
    await s.ctl.pass();
    expect(s.registry.lookups).toBe(2);
    expect(s.policy().status?.latestRef?.digest).toBe(`sha256:${'c'.repeat(64)}`);
    expect(s.policy().status?.latestRef?.tag).toBe('1.0.0');
  });
});
