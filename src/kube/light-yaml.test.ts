import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseLightYaml } from './light-yaml.js';

const kubectlStyle = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
    server: https://127.0.0.1:6443
  name: kind-kind
- cluster:
    insecure-skip-tls-verify: true
    server: "https://10.0.0.1:443"
    proxy-url: 'http://proxy:3128'
  name: other
contexts:
- context:
    cluster: kind-kind
    user: kind-kind
    namespace: team-a
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      args:
      - get-token
      - "--cluster=x"
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: true
- name: token-user
  user:
    token: abc.def_ghi
    username: it's
    password: '1234'
    extensions: []
`;

const indentedSequences = `---
# a comment
apiVersion: v1
clusters:
  - name: c
    cluster:
      server: https://h:1
      timeout: 30
contexts:
  -
    name: x
    context: { }
`;

describe('parseLightYaml', () => {
  it('reads kubectl-style kubeconfigs as the full parser does', () => {
    expect(parseLightYaml(kubectlStyle)).toEqual(parse(kubectlStyle));
    expect(parseLightYaml(kubectlStyle)).not.toBeUndefined();
  });

  it('reads indented sequences, a document start and comments; refuses a flow map it does not know', () => {
    // `{ }` is a flow mapping with a space: left to the full parser.
    expect(parseLightYaml(indentedSequences)).toBeUndefined();
    const ok = indentedSequences.replace('context: { }', 'context: {}');
    expect(parseLightYaml(ok)).toEqual(parse(ok));
  });

  it.each([
    ['a block scalar', 'a: |\n  x\n'],
    ['a folded scalar', 'a: >\n  x\n'],
    ['an anchor', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a flow sequence', 'a: [1, 2]\n'],
    ['a trailing comment', 'a: b # c\n'],
    ['a float', 'a: 1.5\n'],
    ['hex', 'a: 0x1f\n'],
    ['a negative number', 'a: -1\n'],
    ['a tab', 'a:\n\tb: c\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a quoted key', '"a": 1\n'],
    ['an unknown escape', 'a: "\\x41"\n'],
    ['a nested sequence', 'a:\n- - 1\n'],
    ['a bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['a __proto__ key', '__proto__: 1\n'],
  ])('refuses %s (the full parser decides)', (_, text) => {
    expect(parseLightYaml(text)).toBeUndefined();
  });

  it('agrees with the full parser on scalars it accepts', () => {
    const cases = [
      'a: null',
      'a: ~',
      'a: True',
      'a: FALSE',
      'a: 0123',
      'a: +7',
      'a: "with \\"quotes\\" and \\u00e9"',
      "a: 'single ''quoted'''",
      'a: b#c',
      'a: yes',
      'a: https://x:1/p?q=1',
      'a:',
      'a: ""',
      'a: v1.2.3',
    ];
    for (const c of cases) expect(parseLightYaml(c), c).toEqual(parse(c));
    expect(parseLightYaml('')).toBeNull();
  });
});
