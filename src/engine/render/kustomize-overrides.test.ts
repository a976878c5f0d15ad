import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

// Tests use the harness's pinned tool builds; runtime code takes binaries from RenderOptions/env.
import { toolPath } from '../../../test/harness/tools.js';
import { PathEscapeError, RenderError } from '../errors.js';
import { render } from './index.js';
import { parse } from 'yaml';
import { parseImage, wrapperKustomization } from './kustomize-overrides.js';

const opts = { kustomizeBinary: toolPath('kustomize') };
/** The fields of a rendered Deployment these tests read. */
interface DeployShape {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { spec: { containers: { image: string; envFrom: { configMapRef: { name: string } }[] }[] } };
  };
}

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repo(entries: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'gitfleet-kust-over-'));
  temps.push(root);
  for (const [p, v] of Object.entries(entries)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), v);
  }
  return root;
}

const APP = {
  'app/kustomization.yaml': 'resources: [deploy.yaml, cm.yaml]\n',
  'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cfg }\ndata: { a: "1" }\n',
  'app/deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:1.25
          envFrom: [{ configMapRef: { name: cfg } }]
`,
};

describe('kustomize overrides (Argo CD source.kustomize)', () => {
  it('applies namePrefix/nameSuffix, images, commonLabels, commonAnnotations, namespace and replicas as kustomize does', async () => {
    const root = repo(APP);
    const out = await render(
      {
        root,
        path: 'app',
        kustomize: {
          namePrefix: 'p-',
          nameSuffix: '-s',
          images: ['nginx=registry.example/nginx:1.27'],
          commonLabels: { team: 'blue' },
          commonAnnotations: { owner: 'ops' },
          namespace: 'shop',
          replicas: [{ name: 'web', count: '3' }],
        },
      },
      opts,
    );
    const deploy = out.find((m) => m.object.kind === 'Deployment')?.object as unknown as DeployShape;
    const cm = out.find((m) => m.object.kind === 'ConfigMap')?.object as unknown as {
      metadata: { name: string };
    };
    expect(deploy.metadata.name).toBe('p-web-s');
    expect(deploy.metadata.namespace).toBe('shop');
    expect(deploy.metadata.labels).toEqual({ team: 'blue' });
    expect(deploy.metadata.annotations).toEqual({ owner: 'ops' });
    expect(deploy.spec.replicas).toBe(3);
    expect(deploy.spec.selector.matchLabels).toEqual({ app: 'web', team: 'blue' });
    expect(deploy.spec.template.spec.containers[0]?.image).toBe('registry.example/nginx:1.27');
    // A name reference follows the renamed object, as with Argo's `kustomize edit`.
    expect(deploy.spec.template.spec.containers[0]?.envFrom[0]?.configMapRef.name).toBe('p-cfg-s');
    expect(cm.metadata.name).toBe('p-cfg-s');
    // Origins still name the app's own kustomization.
    expect(out[0]?.origin.file).toBe('app/kustomization.yaml');
  });

  it('renders as before with no override, and refuses a bad value by field', async () => {
    const root = repo(APP);
    const plain = await render({ root, path: 'app', kustomize: {} }, opts);
    expect(plain.map((m) => m.object.metadata.name).sort()).toEqual(['cfg', 'web']);
    await expect(render({ root, path: 'app', kustomize: { namespace: '--x' } }, opts)).rejects.toThrow(
      /kustomize\.namespace "--x" is not a valid namespace/,
    );
    await expect(
      render({ root, path: 'app', kustomize: { replicas: [{ name: 'web', count: 'two' }] } }, opts),
    ).rejects.toThrow(RenderError);
  });

  it('keeps the confinement checks: a base leaving the repository is refused with overrides too', async () => {
    const root = repo({ 'app/kustomization.yaml': 'resources: [../../../etc]\n' });
    await expect(render({ root, path: 'app', kustomize: { namePrefix: 'x-' } }, opts)).rejects.toThrow(
      PathEscapeError,
    );
  });
});

describe('parseImage', () => {
  it('reads kustomize edit set image syntax', () => {
    expect(parseImage('nginx:1.27')).toEqual({ name: 'nginx', newTag: '1.27' });
    expect(parseImage('nginx=reg.io:5000/x/nginx:2')).toEqual({
      name: 'nginx',
      newName: 'reg.io:5000/x/nginx',
      newTag: '2',
    });
    expect(parseImage('reg.io:5000/nginx@sha256:abc')).toEqual({
      name: 'reg.io:5000/nginx',
      digest: 'sha256:abc',
    });
    expect(() => parseImage('a b')).toThrow(/kustomize.images/);
  });
});

describe('overrides Argo CD would apply in place, which a wrapper cannot', () => {
  it('a namePrefix over the app’s own namePrefix is refused by name (Argo replaces it; a wrapper would prefix twice)', async () => {
    const root = repo({
      ...APP,
      'app/kustomization.yaml': 'namePrefix: prod-\nresources: [deploy.yaml, cm.yaml]\n',
    });
    await expect(render({ root, path: 'app', kustomize: { namePrefix: 'stage-' } }, opts)).rejects.toThrow(
      /kustomize\.namePrefix "stage-": the app's kustomization sets namePrefix "prod-"/,
    );
    // The same prefix, or none in the app, is fine.
    const out = await render({ root, path: 'app', kustomize: { namePrefix: 'prod-' } }, opts);
    expect(out.map((m) => m.object.metadata.name).sort()).toEqual(['prod-cfg', 'prod-web']);
  });

  it('an image the app already renames is refused; a tag over the app’s tag wins as in Argo CD', async () => {
    const renamed = repo({
      ...APP,
      'app/kustomization.yaml':
        'resources: [deploy.yaml, cm.yaml]\nimages: [{ name: nginx, newName: reg.io/nginx }]\n',
    });
    await expect(
      render({ root: renamed, path: 'app', kustomize: { images: ['nginx:2'] } }, opts),
    ).rejects.toThrow(/kustomize\.images\[0\] "nginx:2"/);
    const tagged = repo({
      ...APP,
      'app/kustomization.yaml':
        'resources: [deploy.yaml, cm.yaml]\nimages: [{ name: nginx, newTag: "1.26" }]\n',
    });
    const out = await render({ root: tagged, path: 'app', kustomize: { images: ['nginx:1.27'] } }, opts);
    const deploy = out.find((m) => m.object.kind === 'Deployment')?.object as unknown as DeployShape;
    expect(deploy.spec.template.spec.containers[0]?.image).toBe('nginx:1.27');
  });
});

describe('kustomize.patches (Argo CD overrides)', () => {
  it('puts inline patches with their target into the wrapper', () => {
    const text = wrapperKustomization('../app', {
      patches: [
        {
          patch: '- op: replace\n  path: /spec/replicas\n  value: 3\n',
          target: { kind: 'Deployment', name: 'web' },
        },
      ],
    });
    expect(parse(text)).toMatchObject({
      resources: ['../app'],
      patches: [
        {
          patch: '- op: replace\n  path: /spec/replicas\n  value: 3\n',
          target: { kind: 'Deployment', name: 'web' },
        },
      ],
    });
  });

  it('refuses a patch file, an empty patch and unknown target keys, naming the field', () => {
    expect(() => wrapperKustomization('../app', { patches: [{ path: 'p.yaml' }] })).toThrow(
      /kustomize.patches\[0\].path/,
    );
    expect(() => wrapperKustomization('../app', { patches: [{ patch: '' }] })).toThrow(
      /kustomize.patches\[0\].patch/,
    );
    expect(() =>
      wrapperKustomization('../app', { patches: [{ patch: 'x', target: { kinds: 'D' } }] }),
    ).toThrow(/kustomize.patches\[0\].target.kinds/);
  });
});

describe('kustomize.patches rendered by the real kustomize', () => {
  it('a JSON 6902 patch with a target and a strategic merge patch land as Argo CD renders them', async () => {
    const out = await render(
      {
        root: repo(APP),
        path: 'app',
        kustomize: {
          namePrefix: 'p-',
          patches: [
            {
              patch: '- op: replace\n  path: /spec/replicas\n  value: 4\n',
              target: { kind: 'Deployment', name: 'web' },
            },
            { patch: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cfg }\ndata: { b: "2" }\n' },
          ],
        },
      },
      opts,
    );
    const deploy = out.find((m) => m.object.kind === 'Deployment')?.object as unknown as DeployShape;
    const cm = out.find((m) => m.object.kind === 'ConfigMap')?.object as unknown as {
      data: Record<string, string>;
    };
    expect(deploy.metadata.name).toBe('p-web');
    expect(deploy.spec.replicas).toBe(4);
    expect(cm.data).toEqual({ a: '1', b: '2' });
  });
});

describe('kustomize.components rendered by the real kustomize', () => {
  const COMPONENT = {
    'components/ha/kustomization.yaml':
      'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - target: { kind: Deployment }\n    patch: "- op: replace\\n  path: /spec/replicas\\n  value: 3\\n"\n',
  };

  it('adds the components (relative to the app path) to the wrapper; they are inputs of the render', async () => {
    const root = repo({ ...APP, ...COMPONENT });
    const out = await render({ root, path: 'app', kustomize: { components: ['../components/ha'] } }, opts);
    const deploy = out.find((m) => m.object.kind === 'Deployment')?.object as unknown as DeployShape;
    expect(deploy.spec.replicas).toBe(3);
    const { kustomizeInputs } = await import('./kustomize.js');
    const { resolveAppDir, realRoot } = await import('./confine.js');
    const rootReal = await realRoot(root);
    const inputs = await kustomizeInputs(rootReal, await resolveAppDir(rootReal, 'app'), undefined, {
      components: ['../components/ha'],
    });
    expect(inputs.paths()).toContain('components/ha');
  });

  it('refuses a missing component by name unless ignoreMissingComponents, and one leaving the repository', async () => {
    const root = repo({ ...APP, ...COMPONENT });
    await expect(
      render({ root, path: 'app', kustomize: { components: ['../components/ha', '../nope'] } }, opts),
    ).rejects.toThrow(/kustomize\.components\[1\] '\.\.\/nope': no such directory/);
    const out = await render(
      {
        root,
        path: 'app',
        kustomize: { components: ['../components/ha', '../nope'], ignoreMissingComponents: true },
      },
      opts,
    );
    expect(out).toHaveLength(2);
    await expect(
      render({ root, path: 'app', kustomize: { components: ['../../../etc'] } }, opts),
    ).rejects.toBeInstanceOf(PathEscapeError);
  });
});
