import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { tempTrees } from '../../../test/harness/temp-tree.js';
import { toolPath } from '../../../test/harness/tools.js';
import { RenderError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { render } from './index.js';
import { plainKustomization } from './kustomize-plain.js';

const trees = tempTrees('gitfleet-kust-plain-');
afterEach(trees.cleanup);

/** A temporary repository: string values are files, `{ link }` values are symlinks. */
const repo = trees.tree;

// The real kustomize is the reference every case is compared with.
const kustomize = toolPath('kustomize');

const byIdentity = (ms: Manifest[]): unknown[] =>
  ms
    .map((m) => m.object)
    .sort((a, b) =>
      `${a.kind}/${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
        `${b.kind}/${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );

/** The app rendered with the shortcut allowed and by the real kustomize alone: outputs or errors. */
async function both(
  root: string,
): Promise<{ plain: Manifest[] | RenderError; real: Manifest[] | RenderError }> {
  const run = (kustomizePlain: boolean): Promise<Manifest[] | RenderError> =>
    render({ root, path: 'app' }, { kustomizeBinary: kustomize, kustomizePlain }).catch((e: unknown) => {
      if (e instanceof RenderError) return e;
      throw e;
    });
  return { plain: await run(true), real: await run(false) };
}

const KUST = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n';

describe('plainKustomization: a kustomization that only lists local files', () => {
  it('builds the same objects as kustomize, each with its own file and line', async () => {
    const root = repo({
      'app/kustomization.yaml': `${KUST}resources:\n- cm.yaml\n- ./sub/deploy.yaml\n- svc.json\n`,
      'app/cm.yaml': [
        '# leading comment',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: values',
        '  labels: {app: web, "tier": backend}',
        '  creationTimestamp: null',
        'data:',
        '  yes-word: yes',
        '  on-word: on',
        '  plain-int: 42',
        '  negative: -3',
        '  float: 1.5',
        '  exp: 1e3',
        '  half: .5',
        '  zero: 0',
        '  hex-quoted: "0x1F"',
        '  octal-quoted: "0777"',
        '  empty: ""',
        '  tilde: ~',
        '  literal: |',
        '    line one',
        '      indented',
        '  folded: >-',
        '    folded',
        '    text',
        '  unicode: "héllo ✓"',
        '  not-a-date: 2026-12',
        '  version: 1.27.3',
        '---',
        '# a comment-only document',
        '---',
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: creds',
        'stringData:',
        '  password: "s3cret"',
        '',
      ].join('\n'),
      'app/sub/deploy.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: web',
        '  namespace: other',
        '  annotations:',
        '    argocd.argoproj.io/sync-wave: "2"',
        'spec:',
        '  replicas: 2',
        '  selector: {matchLabels: {app: web}}',
        '  template:',
        '    metadata: {labels: {app: web}}',
        '    spec:',
        '      containers:',
        '      - name: web',
        '        image: nginx:1.27',
        '        args: []',
        '        resources: {}',
        '        ports: [{containerPort: 8080, protocol: TCP}]',
        'status: {}',
        '',
      ].join('\n'),
      'app/svc.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { app: 'web' } },
      }),
    });
    const { plain, real } = await both(root);
    if (plain instanceof RenderError) throw plain;
    if (real instanceof RenderError) throw real;
    expect(byIdentity(plain)).toEqual(byIdentity(real));
    expect(plain).toHaveLength(4);
    // Not kustomize's output lines: the objects' own files and lines.
    expect(plain.map((m) => m.origin)).toEqual([
      { file: 'app/cm.yaml', line: 2 },
      { file: 'app/cm.yaml', line: 33 },
      { file: 'app/sub/deploy.yaml', line: 1 },
      { file: 'app/svc.json', line: 1 },
    ]);
    expect(real.every((m) => m.origin.file === 'app/kustomization.yaml')).toBe(true);
    // A kustomization without apiVersion and kind is the same kustomization.
    const bare = repo({
      'app/kustomization.yml': 'resources: [cm.yaml]\n',
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
    });
    const b = await both(bare);
    expect(b.plain).toEqual([
      {
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
        origin: { file: 'app/cm.yaml', line: 1 },
      },
    ]);
    expect(byIdentity(b.plain as Manifest[])).toEqual(byIdentity(b.real as Manifest[]));
  });

  const cm = (data: string): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  ${data}\n`;
  const oneFile = (
    file: string,
    kustomization = `${KUST}resources: [cm.yaml]\n`,
  ): Record<string, string> => ({
    'app/kustomization.yaml': kustomization,
    'app/cm.yaml': file,
  });

  // Each case is left to kustomize: the shortcut answers undefined, and render() then gives
  // exactly what kustomize gives (its objects or its error).
  const leftToKustomize: [string, () => string][] = [
    ['a YAML 1.1 octal number (kustomize reads 0777 as 511)', () => repo(oneFile(cm('mode: 0777')))],
    ['an underscored number', () => repo(oneFile(cm('n: 1_000')))],
    ['a hexadecimal number', () => repo(oneFile(cm('n: 0x1F')))],
    ['a binary number', () => repo(oneFile(cm('n: 0b101')))],
    ['an anchor and an alias', () => repo(oneFile(cm('a: &x one\n  b: *x')))],
    [
      'a merge key',
      () => repo(oneFile(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  <<: {namespace: m}\n`)),
    ],
    ['a date', () => repo(oneFile(cm('when: 2026-12-03')))],
    ['an infinite number', () => repo(oneFile(cm('n: .inf')))],
    ['a number too large for a double', () => repo(oneFile(cm('n: 1e400')))],
    ['a key that is not a string', () => repo(oneFile(cm('1: one')))],
    ['an explicit tag', () => repo(oneFile(cm('n: !!str 5')))],
    ['a %YAML directive', () => repo(oneFile(`%YAML 1.1\n---\n${cm('a: b')}`))],
    [
      'a List',
      () => repo(oneFile(`apiVersion: v1\nkind: List\nitems:\n- ${cm('a: b').split('\n').join('\n  ')}\n`)),
    ],
    ['a null document', () => repo(oneFile(`~\n---\n${cm('a: b')}`))],
    ['two objects with one identity', () => repo(oneFile(`${cm('a: b')}---\n${cm('a: c')}`))],
    [
      'an annotation kustomize keeps for itself',
      () =>
        repo(
          oneFile(
            `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    config.kubernetes.io/index: "3"\n`,
          ),
        ),
    ],
    [
      'another kustomization field',
      () => repo(oneFile(cm('a: b'), `${KUST}namespace: other\nresources: [cm.yaml]\n`)),
    ],
    [
      'a directory entry',
      () =>
        repo({
          'app/kustomization.yaml': `${KUST}resources: [base]\n`,
          'app/base/kustomization.yaml': `${KUST}resources: [cm.yaml]\n`,
          'app/base/cm.yaml': cm('a: b'),
        }),
    ],
    [
      'a file outside the kustomization directory',
      () => repo({ 'app/kustomization.yaml': `${KUST}resources: [../cm.yaml]\n`, 'cm.yaml': cm('a: b') }),
    ],
    [
      'a linked file',
      () =>
        repo({
          'app/kustomization.yaml': `${KUST}resources: [cm.yaml]\n`,
          'app/real.yaml': cm('a: b'),
          'app/cm.yaml': { link: 'real.yaml' },
        }),
    ],
    [
      'a missing file',
      () =>
        repo({
          'app/kustomization.yaml': `${KUST}resources: [cm.yaml, gone.yaml]\n`,
          'app/cm.yaml': cm('a: b'),
        }),
    ],
    ['an object without a name', () => repo(oneFile('apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'))],
    ['an empty resource list', () => repo(oneFile(cm('a: b'), `${KUST}resources: []\n`))],
    ['a duplicate key', () => repo(oneFile(cm('a: b\n  a: c')))],
  ];
  for (const [what, make] of leftToKustomize)
    it(`leaves ${what} to kustomize`, async () => {
      const root = make();
      expect(
        await plainKustomization({ abs: join(root, 'app'), rel: 'app' }, 'app/kustomization.yaml', 1 << 20),
      ).toBeUndefined();
      const { plain, real } = await both(root);
      if (real instanceof RenderError) {
        expect(plain).toBeInstanceOf(RenderError);
        expect((plain as RenderError).message).toBe(real.message);
      } else {
        expect(plain).toEqual(real);
      }
    });

  it('leaves files larger than the output limit to kustomize', async () => {
    const root = repo(oneFile(cm(`a: ${'x'.repeat(4096)}`)));
    expect(
      await plainKustomization({ abs: join(root, 'app'), rel: 'app' }, 'app/kustomization.yaml', 1024),
    ).toBeUndefined();
    expect(
      await plainKustomization({ abs: join(root, 'app'), rel: 'app' }, 'app/kustomization.yaml', 1 << 20),
    ).toHaveLength(1);
  });
});
