import { describe, expect, it } from 'vitest';
import {
  applyTemplatePatch,
  generatorTemplate,
  ignoreDifferences,
  mergeTemplate,
  preserveFields,
  withoutTemplate,
} from './appset.js';

const setTemplate = {
  metadata: { name: '{{.name}}', labels: { team: 'a', tier: 'web' } },
  spec: {
    project: 'default',
    source: { repoURL: 'https://git/x.git', path: 'apps/{{.name}}', targetRevision: 'main' },
    destination: { name: '{{.name}}', namespace: 'web' },
  },
};

describe('per-generator template (Argo CD merge)', () => {
  it("lets the generator's non-empty values win and fills the rest from the set's template", () => {
    const g = {
      list: {
        elements: [],
        template: {
          metadata: { labels: { tier: 'db' } },
          spec: { source: { path: 'db', targetRevision: '' } },
        },
      },
    };
    const merged = mergeTemplate(setTemplate, generatorTemplate(g));
    expect(merged.metadata).toEqual({ name: '{{.name}}', labels: { team: 'a', tier: 'db' } });
    expect(merged.spec.source).toEqual({ repoURL: 'https://git/x.git', path: 'db', targetRevision: 'main' });
    expect(merged.spec.destination).toEqual(setTemplate.spec.destination);
    expect(withoutTemplate(g)).toEqual({ list: { elements: [] } });
  });
  it('is the set template when the generator has none', () => {
    expect(generatorTemplate({ clusters: {} })).toBeUndefined();
    expect(mergeTemplate(setTemplate, undefined)).toEqual(setTemplate);
  });
});

describe('templatePatch', () => {
  it('renders with the params and merges over the template: maps merge, lists replace, null deletes', () => {
    const patch = `
spec:
  source:
    path: {{ .name | upper }}
  {{- if .autoSync }}
  syncPolicy:
    automated: { prune: true }
  {{- end }}
  destination:
    namespace: null
metadata:
  finalizers: [a]
`;
    const out = applyTemplatePatch(setTemplate, patch, { name: 'web', autoSync: true }, []);
    expect(out.spec.source.path).toBe('WEB');
    expect(out.spec.source.repoURL).toBe('https://git/x.git');
    expect((out.spec as Record<string, unknown>).syncPolicy).toEqual({ automated: { prune: true } });
    expect(out.spec.destination).toEqual({ name: '{{.name}}' });
    expect((out.metadata as Record<string, unknown>).finalizers).toEqual(['a']);
    expect(applyTemplatePatch(setTemplate, '{{ if false }}x: 1{{ end }}', {}, [])).toEqual(setTemplate);
  });
  it('names spec.templatePatch when it cannot be used', () => {
    expect(() => applyTemplatePatch(setTemplate, '[1, 2]', {}, [])).toThrow(
      /spec\.templatePatch: rendered patch must be a map/,
    );
    expect(() => applyTemplatePatch(setTemplate, 'status: {}', {}, [])).toThrow(
      /may patch only metadata and spec, not "status"/,
    );
    expect(() => applyTemplatePatch(setTemplate, 'a: {{ .nope }}', {}, ['missingkey=error'])).toThrow(
      /spec\.templatePatch: unknown key "\.nope"/,
    );
  });
});

const app = (o: { annotations?: Record<string, string>; labels?: Record<string, string>; rev?: string }) => ({
  metadata: { name: 'web', annotations: o.annotations ?? {}, labels: o.labels ?? {} },
  spec: { source: { repoURL: 'r', targetRevision: o.rev ?? 'main' } },
});

describe('preservedFields', () => {
  it('keeps the listed keys from the existing Application', () => {
    const desired = app({ annotations: { note: 'template', other: 't' }, labels: { team: 'a' } });
    const existing = app({ annotations: { note: 'by a person' }, labels: {} });
    const out = preserveFields(desired, existing, { annotations: ['note'], labels: ['team'] });
    expect(out.metadata.annotations).toEqual({ note: 'by a person', other: 't' });
    expect(out.metadata.labels).toEqual({});
    expect(preserveFields(desired, undefined, { annotations: ['note'] })).toBe(desired);
  });
});

describe('ignoreApplicationDifferences', () => {
  it('keeps the pointed-at fields of the existing Application, for the named one only', () => {
    const desired = app({ rev: 'main' });
    const existing = app({ rev: 'hotfix' });
    expect(
      ignoreDifferences(desired, existing, [{ jsonPointers: ['/spec/source/targetRevision'] }]).spec.source
        .targetRevision,
    ).toBe('hotfix');
    expect(
      ignoreDifferences(desired, existing, [{ name: 'other', jsonPointers: ['/spec/source/targetRevision'] }])
        .spec.source.targetRevision,
    ).toBe('main');
    const gone = ignoreDifferences(desired, { ...existing, spec: { source: { repoURL: 'r' } } }, [
      { jsonPointers: ['/spec/source/targetRevision'] },
    ]);
    expect(gone.spec.source).toEqual({ repoURL: 'r' });
    expect(desired.spec.source.targetRevision).toBe('main');
  });
  it('names a malformed pointer', () => {
    expect(() => ignoreDifferences(app({}), app({}), [{ jsonPointers: ['spec/x'] }])).toThrow(
      /spec\.ignoreApplicationDifferences\[0\]\.jsonPointers\[0\]/,
    );
  });
});
