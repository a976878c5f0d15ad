import { describe, expect, it } from 'vitest';
import { TemplateError } from '../errors.js';
import { renderTemplate } from './render.js';

const template = {
  metadata: {
    name: '{{name}}-guestbook',
    labels: { 'team-{{team.name}}': 'true', 'app.kubernetes.io/name': '{{name}}' },
  },
  spec: {
    project: 'default',
    source: { repoURL: 'https://git.example/x.git', path: 'apps/{{ path.basename }}' },
    destination: { name: '{{name}}', namespace: 'web' },
    syncPolicy: { automated: { prune: true } },
    revisionHistoryLimit: 5,
    ignoreDifferences: [{ kind: 'Deployment', jsonPointers: ['/spec/{{field}}'] }],
  },
};

const flatParams = { name: 'prod', 'path.basename': 'guestbook', field: 'replicas', team: { name: 'web' } };

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error('expected a TemplateError');
}

describe('renderTemplate', () => {
  it('renders every string, map keys included, and keeps other values', () => {
    const out = renderTemplate(template, flatParams, { goTemplate: false });
    expect(out).toEqual({
      metadata: { name: 'prod-guestbook', labels: { 'team-web': 'true', 'app.kubernetes.io/name': 'prod' } },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example/x.git', path: 'apps/guestbook' },
        destination: { name: 'prod', namespace: 'web' },
        syncPolicy: { automated: { prune: true } },
        revisionHistoryLimit: 5,
        ignoreDifferences: [{ kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
      },
    });
  });

  it('does not modify the template it is given', () => {
    const copy = structuredClone(template);
    renderTemplate(template, flatParams, { goTemplate: false });
    expect(template).toEqual(copy);
  });

  it('reaches nested params through dotted names in fasttemplate mode', () => {
    expect(renderTemplate('{{team.name}}', flatParams, { goTemplate: false })).toBe('web');
  });

  it('renders Go templates against nested params', () => {
    const out = renderTemplate(
      { name: '{{ .cluster.name | upper }}', list: ['{{ index .segments 0 }}'] },
      { cluster: { name: 'eu' }, segments: ['apps'] },
      { goTemplate: true, goTemplateOptions: ['missingkey=error'] },
    );
    expect(out).toEqual({ name: 'EU', list: ['apps'] });
  });

  it('names the JSON field path of a failing string', () => {
    const err = errorOf(() =>
      renderTemplate({ spec: { source: { path: '{{ nope }}' } } }, flatParams, { goTemplate: false }),
    );
    expect(err.fieldPath).toBe('spec.source.path');
    expect(err.message).toMatch(/^spec\.source\.path: unknown key "nope"/);
  });

  it('writes list indexes and unusual keys into the path', () => {
    const fast = errorOf(() =>
      renderTemplate(
        { spec: { ignoreDifferences: [{ jsonPointers: ['ok', '{{x}}'] }] } },
        {},
        { goTemplate: false },
      ),
    );
    expect(fast.fieldPath).toBe('spec.ignoreDifferences[0].jsonPointers[1]');
    const go = errorOf(() =>
      renderTemplate(
        { metadata: { labels: { 'app.kubernetes.io/name': '{{ .x }}' } } },
        {},
        { goTemplate: true },
      ),
    );
    expect(go.fieldPath).toBe('metadata.labels["app.kubernetes.io/name"]');
  });

  it('prefixes basePath to error paths', () => {
    const err = errorOf(() =>
      renderTemplate({ path: '{{ .x | nosuch }}' }, {}, { goTemplate: true, basePath: 'spec.template' }),
    );
    expect(err.fieldPath).toBe('spec.template.path');
    expect(err.message).toMatch(/unknown function "nosuch"/);
  });

  it("prints Argo CD's <no value> for an unknown key unless missingkey=error is requested", () => {
    expect(renderTemplate('{{ .x }}', {}, { goTemplate: true, goTemplateOptions: [] })).toBe('<no value>');
    expect(
      renderTemplate(
        '{{ .x | default "d" }}|{{ if .x }}y{{ else }}n{{ end }}|{{ empty .x }}',
        {},
        {
          goTemplate: true,
          goTemplateOptions: ['missingkey=zero'],
        },
      ),
    ).toBe('d|n|true');
    expect(() =>
      renderTemplate('{{ .x }}', {}, { goTemplate: true, goTemplateOptions: ['missingkey=error'] }),
    ).toThrow(/unknown key "\.x"/);
  });

  it('refuses a goTemplateOption Go does not have, naming it', () => {
    expect(() =>
      renderTemplate('{{ .x }}', {}, { goTemplate: true, goTemplateOptions: ['missingkey=nope'] }),
    ).toThrow(/spec\.goTemplateOptions\[0\]: unsupported option "missingkey=nope"/);
  });
});
