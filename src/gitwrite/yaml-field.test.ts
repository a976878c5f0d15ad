import { describe, expect, it } from 'vitest';
import { getYamlField, setYamlField } from './yaml-field.js';

const VALUES = `# app values
image:
  repository: ghcr.io/org/app   # the image
  tag: "1.0.0"
replicas: 2
other: {a: 1}
`;

describe('setYamlField', () => {
  it('changes only the bytes of the scalar, keeping its quoting and comments', () => {
    const r = setYamlField(VALUES, 'image.tag', '1.1.0', 'values.yaml');
    expect(r.changed).toBe(true);
    expect(r.old).toBe('1.0.0');
    expect(r.text).toBe(VALUES.replace('"1.0.0"', '"1.1.0"'));
  });
  it('keeps a plain scalar plain, and quotes a value that would stop being a string', () => {
    const text = 'image:\n  tag: v1 # keep\n';
    expect(setYamlField(text, 'image.tag', 'v2', 'f').text).toBe('image:\n  tag: v2 # keep\n');
    expect(setYamlField(text, 'image.tag', '1.10', 'f').text).toBe('image:\n  tag: "1.10" # keep\n');
    expect(setYamlField("a: 'x'\n", 'a', "it's", 'f').text).toBe("a: 'it''s'\n");
  });
  it('selects list items by index or by a key value (kustomization images)', () => {
    const k = `resources: [deploy.yaml]\nimages:\n  - name: nginx\n    newTag: "1.25"\n  - name: ghcr.io/org/app\n    newTag: 1.0.0\n`;
    const r = setYamlField(k, 'images[name=ghcr.io/org/app].newTag', '1.2.0', 'kustomization.yaml');
    expect(r.text).toBe(k.replace('newTag: 1.0.0', 'newTag: 1.2.0'));
    expect(getYamlField(k, 'images[0].newTag')).toBe('1.25');
  });
  it('is a no-op when the value is already there', () => {
    const r = setYamlField(VALUES, 'replicas', '2', 'v');
    expect(r.changed).toBe(false);
    expect(r.text).toBe(VALUES);
  });
  it('refuses a missing field, a non-scalar and a bad path, naming the file and field', () => {
    expect(() => setYamlField(VALUES, 'image.digest', 'x', 'values.yaml')).toThrow(
      /values.yaml: field image.digest not found/,
    );
    expect(() => setYamlField(VALUES, 'other', 'x', 'values.yaml')).toThrow(/not a scalar/);
    expect(() => setYamlField(VALUES, 'a..b', 'x', 'values.yaml')).toThrow(/field path/);
  });
  it('edits every document of a multi-document file that has the field', () => {
    const t = 'kind: A\nspec:\n  tag: a\n---\nkind: B\n---\nkind: C\nspec:\n  tag: a\n';
    expect(setYamlField(t, 'spec.tag', 'b', 'f').text).toBe(t.replaceAll('tag: a', 'tag: b'));
  });
});
