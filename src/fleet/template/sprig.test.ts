import { describe, expect, it } from 'vitest';
import { TemplateError } from '../errors.js';
import { renderGo } from './go.js';
import { SPRIG_FUNCTION_NAMES } from './sprig.js';
import { semverCompare } from './semver.js';

const params = {
  name: 'Prod_EU',
  branch: 'feature/Add Login Page!',
  path: { path: 'apps/guestbook/overlays', segments: ['apps', 'guestbook'] },
  labels: { env: 'prod', tier: { level: 'gold' } },
  tags: ['b', 'a', 'b'],
  replicas: 3,
  version: '1.4.2',
  enabled: true,
};
const r = (text: string): string => renderGo(text, params, 'spec.x');

describe('Sprig functions of Argo CD goTemplate', () => {
  const cases: [string, string][] = [
    ['{{ dig "tier" "level" "none" .labels }}|{{ dig "tier" "x" "none" .labels }}', 'gold|none'],
    ['{{ slugify .branch }}', 'feature-add-login-page'],
    ['{{ slugify 12 true .branch }}|{{ slugify 12 false .branch }}', 'feature-add|feature-add-'],
    ['{{ base .path.path }}|{{ dir .path.path }}|{{ base "" }}|{{ dir "a" }}', 'overlays|apps/guestbook|.|.'],
    ['{{ clean "a//b/../c/" }}|{{ ext "x/y.yaml" }}|{{ isAbs "/x" }}', 'a/c|.yaml|true'],
    ['{{ title "hello wide-world" }}|{{ untitle "Hello World" }}', 'Hello Wide-World|hello world'],
    ['{{ trim "  x " }}|{{ trimAll "$" "$$5$" }}|{{ nospace "a b\\tc" }}', 'x|5|abc'],
    ['{{ squote .name .replicas }}|{{ cat "a" .replicas }}', "'Prod_EU' '3'|a 3"],
    ['{{ hasPrefix "Prod" .name }}|{{ hasSuffix "x" .name }}|{{ contains "_" .name }}', 'true|false|true'],
    ['{{ repeat 3 "ab" }}|{{ substr 1 3 "hello" }}|{{ abbrev 5 "hello world" }}', 'ababab|el|he...'],
    ['{{ indent 2 "a\\nb" }}|{{ nindent 1 "a" }}', '  a\n  b|\n a'],
    [
      '{{ snakecase "FooBar baz" }}|{{ kebabcase "FooBar" }}|{{ camelcase "foo_bar" }}',
      'foo_bar_baz|foo-bar|FooBar',
    ],
    ['{{ join "," .tags }}|{{ join "-" (list "x" .replicas) }}', 'b,a,b|x-3'],
    ['{{ index (split "/" .branch) "_0" }}|{{ index (splitList "/" .path.path) 1 }}', 'feature|guestbook'],
    ['{{ index (splitn "/" 2 "a/b/c") "_1" }}', 'b/c'],
    [
      '{{ (split "/" .path.path)._1 }}|{{ (splitn "/" 2 "a/b/c")._1 }}|{{ (dict "a" (dict "b" 1)).a.b }}',
      'guestbook|b/c|1',
    ],
    ['{{ first .tags }}{{ last .tags }}|{{ rest .tags }}|{{ initial .tags }}', 'bb|[a b]|[b a]'],
    [
      '{{ append .tags "c" }}|{{ prepend .tags "z" }}|{{ concat .tags (list "q") }}',
      '[b a b c]|[z b a b]|[b a b q]',
    ],
    ['{{ reverse .tags }}|{{ uniq .tags }}|{{ compact (list "" "a" 0) }}', '[b a b]|[b a]|[a]'],
    ['{{ has "a" .tags }}|{{ sortAlpha .tags }}', 'true|[a b b]'],
    ['{{ get (dict "a" "1" "b" "2") "b" }}|{{ get .labels "nope" }}|{{ hasKey .labels "env" }}', '2||true'],
    ['{{ keys .labels }}|{{ values (dict "a" 1) }}', '[env tier]|[1]'],
    ['{{ toJson (pick .labels "env") }}|{{ toJson (omit .labels "tier") }}', '{"env":"prod"}|{"env":"prod"}'],
    ['{{ toJson (merge (dict "a" 1) (dict "a" 2 "b" 3)) }}', '{"a":1,"b":3}'],
    ['{{ b64enc .name }}|{{ b64dec "UHJvZF9FVQ==" }}', 'UHJvZF9FVQ==|Prod_EU'],
    ['{{ sha256sum "abc" }}', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['{{ sha1sum "abc" }}|{{ adler32sum "abc" }}', 'a9993e364706816aba3e25717850c26c9cd0d89d|38600999'],
    [
      '{{ index (fromJson "{\\"a\\":[1]}") "a" }}|{{ index (fromYaml "a: b") "a" }}|{{ fromYamlArray "[1, 2]" }}',
      '[1]|b|[1 2]',
    ],
    [
      '{{ toPrettyJson (dict "a" 1) }}|{{ toRawJson "<" }}|{{ toYamlPretty (list 1) }}',
      '{\n  "a": 1\n}|"<"|- 1',
    ],
    ['{{ int "42" }}|{{ int64 3.9 }}|{{ atoi "7" }}|{{ float64 "1.5" }}|{{ int "x" }}', '42|3|7|1.5|0'],
    ['{{ toString 5 }}|{{ toStrings (list 1 "a") }}|{{ toBool "true" }}', '5|[1 a]|true'],
    [
      '{{ add 1 2 .replicas }}|{{ add1 4 }}|{{ sub 5 7 }}|{{ mul 2 3 }}|{{ div 7 2 }}|{{ mod 7 2 }}',
      '6|5|-2|6|3|1',
    ],
    ['{{ max 1 9 3 }}|{{ min 4 2 }}', '9|2'],
    ['{{ ternary "on" "off" .enabled }}|{{ ternary "on" "off" false }}', 'on|off'],
    ['{{ empty "" }}|{{ empty .name }}|{{ coalesce "" 0 "z" }}', 'true|false|z'],
    ['{{ all 1 "a" }}|{{ any 0 "" }}', 'true|false'],
    ['{{ semverCompare ">=1.2.0 <2" .version }}|{{ semverCompare "^2.0" .version }}', 'true|false'],
    ['{{ regexMatch "^Prod_" .name }}|{{ regexFind "[0-9]+" "ab12c3" }}', 'true|12'],
    ['{{ regexFindAll "[0-9]" "a1b2c3" 2 }}|{{ regexSplit "[-_]" "a-b_c" -1 }}', '[1 2]|[a b c]'],
    ['{{ regexReplaceAll "([a-z]+)_([A-Z]+)" "rod_EU" "${2}-$1" }}', 'EU-rod'],
    ['{{ regexReplaceAllLiteral "o" "foo" "$1" }}', 'f$1$1'],
  ];
  it.each(cases)('%s → %s', (template, want) => {
    expect(r(template)).toBe(want);
  });

  it('refuses functions whose output is not a function of the params, by name', () => {
    for (const f of ['now', 'date', 'dateInZone', 'ago', 'unixEpoch', 'uuidv4', 'env', 'expandenv']) {
      expect(() => r(`{{ ${f} }}`)).toThrow(new RegExp(`function "${f}" is not available`));
    }
    for (const f of ['randAlpha', 'randAlphaNum', 'randNumeric', 'randAscii', 'randInt', 'getHostByName']) {
      expect(() => r(`{{ ${f} 3 }}`)).toThrow(TemplateError);
    }
    expect(() => r('{{ fail "stop here" }}')).toThrow(/spec\.x: fail: stop here/);
  });

  it('reports bad arguments naming the function', () => {
    expect(() => r('{{ b64dec "%%%" }}')).toThrow(/b64dec: argument is not valid base64/);
    expect(() => r('{{ regexMatch "(" .name }}')).toThrow(/regexMatch: invalid regular expression/);
    expect(() => r('{{ div 1 0 }}')).toThrow(/div: division by zero/);
    expect(() => r('{{ semverCompare ">=a.b" "1.0.0" }}')).toThrow(/semverCompare/);
    expect(() => r('{{ dig "a" "d" "not-a-map" }}')).toThrow(/dig: argument must be a map/);
  });

  it('covers every function it offers', () => {
    const used = new Set(
      [
        ...cases.map(([t]) => t),
        'now date dateInZone ago unixEpoch uuidv4 env expandenv fail getHostByName',
      ].flatMap((t) => [...t.matchAll(/[a-zA-Z0-9]+/g)].map((m) => m[0])),
    );
    used.add('randAlpha').add('randAlphaNum').add('randNumeric').add('randAscii').add('randInt');
    expect(SPRIG_FUNCTION_NAMES.filter((f) => !used.has(f))).toEqual([]);
  });
});

describe('semverCompare', () => {
  it.each([
    ['1.2.3', '1.2.3', true],
    ['=1.2', '1.2.9', true],
    ['!=1.2.3', '1.2.3', false],
    ['>1.2', '1.3.0', true],
    ['>1.2', '1.2.9', false],
    ['<=1.2', '1.2.9', true],
    ['~1.2.3', '1.2.9', true],
    ['~1.2.3', '1.3.0', false],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['1.2.x', '1.2.7', true],
    ['*', '9.9.9', true],
    ['1.2 - 1.4.5', '1.4.5', true],
    ['1.2 - 1.4.5', '1.4.6', false],
    ['<1 || >=3', '3.1.0', true],
    ['>= 1.0, < 2.0', 'v1.5.0', true],
    ['>=1.0.0', '1.5.0-beta.1', false],
    ['>=1.5.0-alpha', '1.5.0-beta.1', true],
  ] as const)('%s vs %s → %s', (c, v, want) => {
    expect(semverCompare(c, v)).toBe(want);
  });
});
