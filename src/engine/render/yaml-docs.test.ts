import { describe, expect, it } from 'vitest';

import { RenderError } from '../errors.js';
import { parseManifests } from './yaml-docs.js';

const parse = (text: string): ReturnType<typeof parseManifests> =>
  parseManifests(text, { file: 'apps/x.yaml' });

function renderErrorOf(fn: () => unknown): RenderError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RenderError) return e;
    throw e;
  }
  throw new Error('expected a RenderError');
}

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('parseManifests', () => {
  it('returns every document in order with the 1-based line where its content starts', () => {
    const text = `${cm('a')}---\n# leading comment\n${cm('b')}`;
    const out = parse(text);
    expect(out.map((m) => m.object.metadata.name)).toEqual(['a', 'b']);
    expect(out.map((m) => m.origin)).toEqual([
      { file: 'apps/x.yaml', line: 1 },
      { file: 'apps/x.yaml', line: 7 },
    ]);
  });

  it('skips empty, null and comment-only documents', () => {
    const text = `---\n---\n# just a comment\n---\nnull\n---\n~\n---\n${cm('only')}---\n`;
    expect(parse(text).map((m) => m.object.metadata.name)).toEqual(['only']);
    expect(parse('')).toEqual([]);
    expect(parse('# nothing\n')).toEqual([]);
  });

  it('flattens List kinds into their items, each with its own line', () => {
    const text = [
      'apiVersion: v1',
      'kind: ConfigMapList',
      'items:',
      '  - apiVersion: v1',
      '    kind: ConfigMap',
      '    metadata: {name: one}',
      '  - apiVersion: v1',
      '    kind: ConfigMap',
      '    metadata: {name: two}',
      '',
    ].join('\n');
    const out = parse(text);
    expect(out.map((m) => [m.object.metadata.name, m.origin.line])).toEqual([
      ['one', 4],
      ['two', 7],
    ]);
  });

  it('names the list item that lacks metadata.name', () => {
    const text =
      'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {}\n';
    const err = renderErrorOf(() => parse(text));
    expect(err.file).toBe('apps/x.yaml');
    expect(err.line).toBe(4);
    expect(err.message).toContain('metadata.name');
  });

  it('reports YAML syntax errors with file and line', () => {
    const err = renderErrorOf(() => parse(`${cm('a')}---\napiVersion: v1\nkind: [ConfigMap\nmetadata: {}\n`));
    expect(err.code).toBe('render.YamlSyntax');
    expect(err.file).toBe('apps/x.yaml');
    expect(err.line).toBeGreaterThanOrEqual(7);
    expect(err.message).toMatch(/^apps\/x\.yaml:\d+: YAML syntax error/u);
  });

  it('refuses duplicate keys instead of silently keeping one', () => {
    const err = renderErrorOf(() => parse('apiVersion: v1\nkind: A\nkind: B\nmetadata: {name: x}\n'));
    expect(err.code).toBe('render.YamlSyntax');
    expect(err.line).toBe(3);
  });

  it.each([
    ['- a\n- b\n', 'not a mapping'],
    ['just a string\n', 'not a mapping'],
    ['kind: ConfigMap\nmetadata: {name: a}\n', 'apiVersion'],
    ['apiVersion: v1\nmetadata: {name: a}\n', 'kind'],
    ['apiVersion: v1\nkind: ConfigMap\n', 'ConfigMap has no metadata'],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: a-}\n', 'metadata.name'],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ""}\n', 'metadata.name'],
  ])('rejects %j naming the problem (%s)', (text, field) => {
    const err = renderErrorOf(() => parse(`${cm('ok')}---\n${text}`));
    expect(err.code).toBe('render.InvalidManifest');
    expect(err.file).toBe('apps/x.yaml');
    expect(err.line).toBe(6);
    expect(err.message).toContain(field);
  });

  it('keeps key order as written and returns plain JSON values', () => {
    const [m] = parse('kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\ndata: {z: "1", a: "2"}\n');
    expect(Object.keys(m?.object ?? {})).toEqual(['kind', 'apiVersion', 'metadata', 'data']);
    expect(Object.keys((m?.object.data as Record<string, string>) ?? {})).toEqual(['z', 'a']);
    expect(JSON.parse(JSON.stringify(m?.object))).toEqual(m?.object);
  });

  it('keeps yes/on and timestamps as strings (YAML 1.2 core schema)', () => {
    const [m] = parse(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: yes, b: on, c: 2001-12-14}\n',
    );
    expect(m?.object.data).toEqual({ a: 'yes', b: 'on', c: '2001-12-14' });
  });

  it('resolves anchors and merge keys, and refuses alias bombs', () => {
    const [m] = parse(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nbase: &b {x: 1}\ndata:\n  <<: *b\n  y: 2\n',
    );
    expect(m?.object.data).toEqual({ x: 1, y: 2 });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]'];
    bomb.push(
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    );
    expect(renderErrorOf(() => parse(`${bomb.join('\n')}\n`)).code).toBe('render.YamlSyntax');
  });

  it('does not let a __proto__ key change prototypes', () => {
    const [m] = parse('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n__proto__: {polluted: true}\n');
    expect(Object.getPrototypeOf(m?.object)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parses JSON documents', () => {
    const out = parse('{\n  "apiVersion": "v1",\n  "kind": "Namespace",\n  "metadata": {"name": "n"}\n}\n');
    expect(out).toEqual([
      {
        object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } },
        origin: { file: 'apps/x.yaml', line: 1 },
      },
    ]);
  });

  it('uses originFor and locate when given', () => {
    const out = parseManifests(cm('a'), {
      file: 'f',
      originFor: (line) => ({ file: 'g', line: line + 100 }),
    });
    expect(out[0]?.origin).toEqual({ file: 'g', line: 101 });
    const err = renderErrorOf(() =>
      parseManifests('apiVersion: v1\nkind: X\nmetadata: {}\n', {
        file: 'f',
        locate: (line) => ({ file: 'tpl.yaml', note: `line ${line} of output` }),
      }),
    );
    expect(err.file).toBe('tpl.yaml');
    expect(err.line).toBeUndefined();
    expect(err.message).toContain('(line 1 of output)');
  });
});
