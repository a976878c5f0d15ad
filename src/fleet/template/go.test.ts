import { describe, expect, it } from 'vitest';
import { TemplateError } from '../errors.js';
import { CORE_FUNCTION_NAMES } from './go-funcs.js';
import { renderGo } from './go.js';

const params = {
  name: 'Prod_EU',
  server: 'https://prod.example:6443',
  replicas: 3,
  enabled: true,
  off: false,
  nothing: null,
  tags: ['a', 'b'],
  empty: [],
  path: { path: 'apps/guestbook', basename: 'guestbook', segments: ['apps', 'guestbook'] },
  metadata: { labels: { env: 'prod', 'app.kubernetes.io/name': 'web' } },
  html: '<a&b>',
};

const r = (text: string): string => renderGo(text, params, 'spec.x');

function errorOf(text: string): TemplateError {
  try {
    r(text);
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error(`expected ${text} to fail`);
}

describe('renderGo fields and literals', () => {
  it('reads nested fields and prints numbers, booleans and lists the Go way', () => {
    expect(r('{{.path.basename}} {{ .replicas }} {{.enabled}} {{.tags}}')).toBe('guestbook 3 true [a b]');
  });

  it('prints maps with sorted keys, and null as the empty string', () => {
    expect(r('{{ .metadata.labels }}|{{ .nothing }}|')).toBe('map[app.kubernetes.io/name:web env:prod]||');
  });

  it('reads the root with $ and prints dot', () => {
    expect(r('{{ $.name }}')).toBe('Prod_EU');
    expect(renderGo('{{ . }}', 'plain', 'f')).toBe('plain');
  });

  it('accepts string, raw string, number and boolean literals', () => {
    expect(r('{{ "a\\tb" }}|{{ `c\\d` }}|{{ 42 }}|{{ true }}')).toBe('a\tb|c\\d|42|true');
  });

  it('returns text without actions unchanged', () => {
    expect(r('no actions } here')).toBe('no actions } here');
  });
});

describe('renderGo trim markers and comments', () => {
  it('trims whitespace on the marked side only', () => {
    expect(r('a  {{- .path.basename -}}  \n b')).toBe('aguestbookb');
    expect(r('a  {{- .path.basename }}  b')).toBe('aguestbook  b');
    expect(r('a  {{ .path.basename -}}  b')).toBe('a  guestbookb');
  });

  it('does not treat a negative number as a trim marker', () => {
    expect(r('{{ trunc -3 .path.basename }}')).toBe('ook');
  });

  it('drops comments', () => {
    expect(r('x{{/* a comment with }} inside */}}y{{- /* trimmed */ -}} z')).toBe('xyz');
  });
});

describe('renderGo functions', () => {
  const cases: [string, string][] = [
    ['{{ default "x" .missing }}', 'x'],
    ['{{ .missing | default "x" }}', 'x'],
    ['{{ .metadata.labels.team | default "none" }}', 'none'],
    ['{{ default "x" .name }}', 'Prod_EU'],
    [
      '{{ default "x" "" }}|{{ default "x" .nothing }}|{{ default "x" .off }}|{{ default "x" .empty }}',
      'x|x|x|x',
    ],
    ['{{ lower .name }}', 'prod_eu'],
    ['{{ .name | upper }}', 'PROD_EU'],
    ['{{ replace "_" "-" .name }}', 'Prod-EU'],
    ['{{ .name | replace "_" "-" | lower }}', 'prod-eu'],
    ['{{ trimPrefix "https://" .server }}', 'prod.example:6443'],
    ['{{ .server | trimSuffix ":6443" }}', 'https://prod.example'],
    ['{{ trimPrefix "nope" .name }}', 'Prod_EU'],
    ['{{ trunc 4 .name }}', 'Prod'],
    ['{{ trunc 99 .name }}', 'Prod_EU'],
    ['{{ trunc -2 .name }}', 'EU'],
    ['{{ quote .name }}', '"Prod_EU"'],
    ['{{ quote "say \\"hi\\"\\n" }}', '"say \\"hi\\"\\n"'],
    ['{{ .replicas | quote }}', '"3"'],
    ['{{ quote .name .replicas }}', '"Prod_EU" "3"'],
    ['{{ toJson .metadata.labels }}', '{"app.kubernetes.io/name":"web","env":"prod"}'],
    ['{{ toJson .html }}', '"\\u003ca\\u0026b\\u003e"'],
    ['{{ toJson .tags }}|{{ toJson .replicas }}|{{ toJson .nothing }}', '["a","b"]|3|null'],
    ['{{ toYaml .metadata.labels }}', 'app.kubernetes.io/name: web\nenv: prod'],
    ['{{ toYaml .name }}', 'Prod_EU'],
    ['{{ index .path.segments 1 }}', 'guestbook'],
    ['{{ index .metadata.labels "app.kubernetes.io/name" }}', 'web'],
    ['{{ index .metadata "labels" "env" }}', 'prod'],
    ['{{ index .metadata.labels "team" | default "t" }}', 't'],
    ['{{ printf "%s-%d" .path.basename .replicas }}', 'guestbook-3'],
    ['{{ printf "%v/%q" .tags .name }}', '[a b]/"Prod_EU"'],
    ['{{ printf "100%% %s" }}', '100% %!s(MISSING)'],
    ['{{ printf "%s" "a" "b" }}', 'a%!(EXTRA string=b)'],
    ['{{ printf "%d" .name }}', '%!d(string=Prod_EU)'],
    ['{{ normalize .name }}', 'prod-eu'],
    ['{{ eq .metadata.labels.env "dev" "prod" }}|{{ ne .replicas 3 }}', 'true|false'],
    ['{{ not .enabled }}|{{ and .enabled .name }}|{{ or .off .nothing "z" }}', 'false|Prod_EU|z'],
    ['{{ len .tags }}|{{ len .metadata.labels }}|{{ len "né" }}', '2|2|3'],
    ['{{ (printf "%s" .name) | lower }}', 'prod_eu'],
  ];
  it.each(cases)('%s → %s', (template, want) => {
    expect(r(template)).toBe(want);
  });

  it('covers every function it offers', () => {
    const used = new Set(cases.flatMap(([t]) => [...t.matchAll(/[a-zA-Z]+/g)].map((m) => m[0])));
    expect(CORE_FUNCTION_NAMES.filter((f) => !used.has(f))).toEqual([]);
  });
});

describe('renderGo control flow', () => {
  it('takes the first true branch of if / else if / else', () => {
    const t = '{{ if eq .metadata.labels.env "dev" }}d{{ else if .enabled }}e{{ else }}x{{ end }}';
    expect(r(t)).toBe('e');
    expect(renderGo(t, { ...params, enabled: false }, 'f')).toBe('x');
  });

  it('treats empty values as false in if', () => {
    expect(r('{{if .empty}}y{{else}}n{{end}}{{if .tags}}y{{end}}{{if .nothing}}y{{else}}n{{end}}')).toBe(
      'nyn',
    );
  });

  it('ranges over lists and sorted maps with dot set to each item, else when empty', () => {
    expect(r('{{ range .path.segments }}[{{ . }}|{{ $.replicas }}]{{ end }}')).toBe('[apps|3][guestbook|3]');
    expect(r('{{ range .metadata.labels }}{{ . }},{{ end }}')).toBe('web,prod,');
    expect(r('{{ range .empty }}x{{ else }}none{{ end }}')).toBe('none');
  });

  it('declares, assigns and scopes template variables as Go does', () => {
    expect(r('{{ $n := .name }}{{ $n | lower }}')).toBe('prod_eu');
    expect(r('{{ range $i, $s := .path.segments }}{{ $i }}={{ $s }};{{ end }}')).toBe('0=apps;1=guestbook;');
    expect(r('{{ range $k, $v := .metadata.labels }}{{ $k }}:{{ $v }},{{ end }}')).toBe(
      'app.kubernetes.io/name:web,env:prod,',
    );
    expect(r('{{ range $s := .path.segments }}{{ $s }}{{ end }}')).toBe('appsguestbook');
    expect(r('{{ with $l := .metadata.labels }}{{ $l.env }}{{ end }}')).toBe('prod');
    expect(r('{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}')).toBe('21');
    expect(r('{{ $x := 1 }}{{ range .tags }}{{ $x = . }}{{ end }}{{ $x }}')).toBe('b');
    expect(errorOf('{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}').message).toMatch(
      /undefined variable "\$x"/,
    );
    expect(errorOf('{{ $y }}').message).toMatch(/undefined variable "\$y"/);
  });

  it('runs with blocks with dot set to a non-empty value, else the else branch', () => {
    expect(r('{{ with .metadata.labels }}{{ .env }}/{{ $.replicas }}{{ end }}')).toBe('prod/3');
    expect(r('{{ with .empty }}x{{ else }}none{{ end }}')).toBe('none');
    expect(errorOf('{{ with .nope }}x{{ end }}').message).toMatch(/unknown key "\.nope"/);
  });
});

describe('renderGo errors', () => {
  it('names the field and the missing key', () => {
    const err = errorOf('{{ .path.nope }}');
    expect(err.fieldPath).toBe('spec.x');
    expect(err.message).toBe('spec.x: unknown key ".path.nope"');
  });

  it('rejects a missing key passed to any function but default', () => {
    expect(errorOf('{{ upper .nope }}').message).toMatch(/unknown key "\.nope"/);
    expect(errorOf('{{ .nope | lower }}').message).toMatch(/unknown key "\.nope"/);
    expect(errorOf('{{ default .nope "x" }}').message).toMatch(/unknown key "\.nope"/);
    expect(errorOf('{{ index .metadata.labels "team" }}').message).toMatch(/unknown key index "team"/);
  });

  it('rejects a missing key used as an if condition', () => {
    expect(errorOf('{{ if .nope }}y{{ end }}').message).toMatch(/unknown key "\.nope"/);
  });

  it('rejects an unknown function by name, even in a branch that never runs', () => {
    expect(errorOf('{{ .name | sluggify }}').message).toBe('spec.x: unknown function "sluggify"');
    expect(errorOf('{{ if false }}{{ sha257sum .name }}{{ end }}').message).toMatch(
      /unknown function "sha257sum"/,
    );
  });

  it('reports wrong argument counts and types', () => {
    expect(errorOf('{{ replace "a" .name }}').message).toMatch(
      /wrong number of args for replace: want 3, got 2/,
    );
    expect(errorOf('{{ upper .replicas }}').message).toMatch(
      /upper: first argument must be a string, got number/,
    );
    expect(errorOf('{{ index .tags 5 }}').message).toMatch(/index out of range: 5/);
    expect(errorOf('{{ .name.first }}').message).toMatch(/can't evaluate field "first"/);
    expect(errorOf('{{ printf "%x" 1 }}').message).toMatch(/unsupported verb %x/);
  });

  it('reports syntax errors and unsupported constructs', () => {
    expect(errorOf('{{ .name ').message).toMatch(/unclosed action/);
    expect(errorOf('{{ if .enabled }}x').message).toMatch(/missing \{\{end\}\}/);
    expect(errorOf('{{ end }}').message).toMatch(/unexpected \{\{end\}\}/);
    expect(errorOf('{{ define "x" }}{{ end }}').message).toMatch(/not supported/);
    expect(errorOf('{{ .name "x" }}').message).toMatch(/can't give argument to non-function/);
    expect(errorOf('{{ "a }}').message).toMatch(/unterminated string/);
  });
});
