import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

// Tests use the harness's pinned tool builds; runtime code takes binaries from RenderOptions/env.
import { toolPath } from '../../../test/harness/tools.js';
import { PathEscapeError, RenderError } from '../errors.js';
import { parametersToValues } from './helm.js';
import { render } from './index.js';

const opts = { helmBinary: toolPath('helm') };
const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A chart at `chart/` whose ConfigMap shows values, capabilities and the release. */
function chartRepo(): string {
  const root = mkdtempSync(join(tmpdir(), 'gitfleet-helm-argo-'));
  temps.push(root);
  const files: Record<string, string> = {
    'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'chart/values.yaml': 'replicas: 1\nimage: { tag: old }\n',
    'chart/crds/widget.yaml':
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: widgets.x.io }\n',
    'chart/templates/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata: { name: {{ .Release.Name }}-cfg }
data:
  replicas: {{ .Values.replicas | toJson | quote }}
  tag: {{ .Values.image.tag | toJson | quote }}
  dotted: {{ index .Values "a.b" | toJson | quote }}
  monitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}
  ns: {{ .Release.Namespace }}
`,
    'chart/prod.yaml': 'image: { tag: prod }\n',
  };
  for (const [p, v] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), v);
  }
  return root;
}

const cmData = (out: Awaited<ReturnType<typeof render>>): Record<string, string> =>
  (out.find((m) => m.object.kind === 'ConfigMap')?.object as unknown as { data: Record<string, string> })
    .data;

describe('helm: Argo CD source.helm fields', () => {
  it('parameters have --set semantics and win over value files; skipCrds, apiVersions, namespace are honoured', async () => {
    const root = chartRepo();
    const out = await render(
      {
        root,
        path: 'chart',
        helm: {
          releaseName: 'shop',
          namespace: 'team',
          valueFiles: ['prod.yaml'],
          parameters: [
            { name: 'replicas', value: '3' },
            { name: 'image.tag', value: '1.27', forceString: true },
            { name: 'a\\.b', value: 'true' },
          ],
          skipCrds: true,
          apiVersions: ['monitoring.coreos.com/v1'],
        },
      },
      opts,
    );
    expect(out.map((m) => m.object.kind)).toEqual(['ConfigMap']);
    expect(out[0]?.object.metadata.name).toBe('shop-cfg');
    expect(cmData(out)).toEqual({
      replicas: '3',
      tag: '"1.27"',
      dotted: 'true',
      monitoring: 'true',
      ns: 'team',
    });
  });

  it('ignoreMissingValueFiles skips a missing file; without it the file is named; escapes are refused either way', async () => {
    const root = chartRepo();
    const out = await render(
      {
        root,
        path: 'chart',
        helm: { valueFiles: ['nope.yaml', 'prod.yaml'], ignoreMissingValueFiles: true },
      },
      opts,
    );
    expect(cmData(out).tag).toBe('"prod"');
    await expect(render({ root, path: 'chart', helm: { valueFiles: ['nope.yaml'] } }, opts)).rejects.toThrow(
      /does not exist/,
    );
    await expect(
      render(
        { root, path: 'chart', helm: { valueFiles: ['../../x.yaml'], ignoreMissingValueFiles: true } },
        opts,
      ),
    ).rejects.toThrow(PathEscapeError);
  });

  it('refuses list indices and bad api versions by field', async () => {
    const root = chartRepo();
    await expect(
      render({ root, path: 'chart', helm: { parameters: [{ name: 'hosts[0]', value: 'a' }] } }, opts),
    ).rejects.toThrow(/helm\.parameters\[0\]\.name "hosts\[0\]": list indices are not supported/);
    await expect(render({ root, path: 'chart', helm: { apiVersions: ['--debug'] } }, opts)).rejects.toThrow(
      RenderError,
    );
  });
});

describe('helm fileParameters (Argo CD --set-file)', () => {
  it('sets the value to the file content as a string, after parameters; the path is confined', async () => {
    const root = chartRepo();
    writeFileSync(join(root, 'chart/tag.txt'), '9.9');
    const out = await render(
      {
        root,
        path: 'chart',
        helm: {
          parameters: [{ name: 'image.tag', value: 'from-param' }],
          fileParameters: [{ name: 'image.tag', path: 'tag.txt' }],
        },
      },
      opts,
    );
    expect(cmData(out).tag).toBe('"9.9"');
    await expect(
      render(
        { root, path: 'chart', helm: { fileParameters: [{ name: 'x', path: '../../../etc/passwd' }] } },
        opts,
      ),
    ).rejects.toThrow(PathEscapeError);
  });
});

describe('helm skipTests and skipSchemaValidation', () => {
  it('drop test hooks and the values schema check, as helm template --skip-tests/--skip-schema-validation', async () => {
    const root = chartRepo();
    writeFileSync(
      join(root, 'chart/templates/test.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations: { "helm.sh/hook": test }\nspec: { containers: [] }\n',
    );
    writeFileSync(
      join(root, 'chart/values.schema.json'),
      JSON.stringify({ properties: { replicas: { type: 'string' } } }),
    );
    await expect(render({ root, path: 'chart' }, opts)).rejects.toThrow(/replicas/);
    const out = await render(
      { root, path: 'chart', helm: { skipTests: true, skipSchemaValidation: true } },
      opts,
    );
    expect(out.map((m) => m.object.kind).sort()).toEqual(['ConfigMap', 'CustomResourceDefinition']);
  });
});

describe('parametersToValues', () => {
  it('types values as helm --set does and keeps __proto__ an ordinary key', () => {
    const v = parametersToValues([
      { name: 'a.b', value: '10' },
      { name: 'a.c', value: '010' },
      { name: 'n', value: 'null' },
      { name: 'f', value: '1.5' },
      { name: '__proto__.polluted', value: 'yes' },
    ]);
    expect(JSON.parse(JSON.stringify(v))).toEqual({
      a: { b: 10, c: '010' },
      n: null,
      f: '1.5',
      ['__proto__']: { polluted: 'yes' },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
