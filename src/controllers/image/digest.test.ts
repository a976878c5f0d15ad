// ImagePolicy digest reflection in the image controller: how often the registry is asked for the
// chosen tag's digest under Never / IfNotPresent / Always, and what status.latestRef records.
// The management cluster and the registry are in-memory stand-ins: this is the decision logic. Also:
// an automation whose :digest marker its policy cannot fill fails by name and pushes nothing.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ImagePolicy, ImageRepository, ImageUpdateAutomation } from '../../api/image.js';
import type { GitWriter } from '../../gitwrite/writer.js';
import type { TagScanner } from '../../imageupdate/scan.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import { ImageController } from './controller.js';

type Reflect = 'Never' | 'IfNotPresent' | 'Always';

function setup(reflect: Reflect | undefined, extra: KubeObject[] = []) {
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
    ...extra,
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
  const options = { client, log: pino({ level: 'silent' }), scanner, now: () => now };
  const ctl = new ImageController(options);
  const policy = () => objects[1] as ImagePolicy;
  return { ctl, options, registry, policy, advance: (ms: number) => (now += ms) };
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

describe('a :digest marker the policy cannot fill', () => {
  it('fails the automation with reason DigestUnavailable naming file, line, marker and policy; nothing is pushed', async () => {
    const { mkdtemp, mkdir, writeFile, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = await mkdtemp(join(tmpdir(), 'gitfleet-digest-ctl-'));
    const values =
      'image:\n  tag: 1.0.0 # {"$imagepolicy": "team:web:tag"}\n  digest: "" # {"$imagepolicy": "team:web:digest"}\n';
    await mkdir(join(root, 'deploy'));
    await writeFile(join(root, 'deploy/values.yaml'), values);
    const automation = {
      apiVersion: 'gitfleet.dev/v1alpha1',
      kind: 'ImageUpdateAutomation',
      metadata: { name: 'web', namespace: 'team', generation: 1 },
      spec: {
        git: {
          repoURL: 'https://git.example/team/fleet.git',
          commit: { author: { name: 'bot', email: 'bot@example.com' } },
        },
        update: { path: 'deploy' },
      },
    } as unknown as ImageUpdateAutomation;
    const s = setup('Never', [automation]);
    let pushes = 0;
    const writer = {
      write: async (req: { edit(dir: string, attempt: number): Promise<string[]> }) => {
        const changed = await req.edit(root, 1);
        pushes++;
        return { commit: 'c'.repeat(40), base: 'b'.repeat(40), changed, attempts: 1 };
      },
    } as unknown as GitWriter;
    const ctl = new ImageController({ ...s.options, writer });
    try {
      await ctl.pass();
      const cond = automation.status?.conditions?.[0];
      expect(cond).toMatchObject({ type: 'Ready', status: 'False', reason: 'DigestUnavailable' });
      expect(cond?.message).toContain('deploy/values.yaml:3: team:web:digest asks for a digest');
      expect(cond?.message).toContain('ImagePolicy team/web does not reflect digests');
      expect(pushes).toBe(0);
      expect(automation.status?.lastPushCommit).toBeUndefined();
      expect(await readFile(join(root, 'deploy/values.yaml'), 'utf8')).toBe(values);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
