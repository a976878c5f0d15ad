/**
 * Reads and sets one scalar of a YAML file by a field path, changing only the bytes of that
 * scalar: comments, ordering, indentation, quoting and every other line stay as they were (a
 * re-serialised document would reformat the whole file and hide the change in a noisy diff).
 *
 * Paths: `image.tag`, `images[0].newTag`, `images[name=ghcr.io/org/app].newTag` (the first list
 * item whose `name` is that value). A path that does not lead to a scalar is an error naming the
 * file and the path: the setter never creates fields (a typo would otherwise add a new one).
 */
import { isMap, isScalar, isSeq, parseAllDocuments, parseDocument, type Node } from 'yaml';
import { GitfleetError } from '../core/errors.js';

type Segment = { key: string } | { index: number } | { match: [string, string] };

export function parseFieldPath(path: string): Segment[] {
  const out: Segment[] = [];
  const bad = (): GitfleetError =>
    new GitfleetError(
      'gitwrite.InvalidPath',
      `field path ${JSON.stringify(path)} is not valid (e.g. image.tag or images[name=app].newTag)`,
    );
  // Each dot-separated part is a key, a selector, or a key followed by selectors.
  for (const part of path.split(/\.(?![^[]*\])/u)) {
    const m = /^([^.[\]]*)((?:\[[^\]]+\])*)$/u.exec(part);
    if (!m || (m[1] === '' && m[2] === '')) throw bad();
    if (m[1]) out.push({ key: m[1] });
    for (const sel of (m[2] ?? '').matchAll(/\[([^\]]+)\]/gu)) {
      const body = sel[1] ?? '';
      if (/^\d+$/u.test(body)) out.push({ index: Number(body) });
      else {
        const eq = body.indexOf('=');
        if (eq <= 0) throw bad();
        out.push({ match: [body.slice(0, eq), body.slice(eq + 1)] });
      }
    }
  }
  return out;
}

function walk(root: unknown, segs: Segment[]): Node | undefined {
  let node: unknown = root;
  for (const s of segs) {
    if ('key' in s) {
      if (!isMap(node)) return undefined;
      node = node.get(s.key, true);
    } else if ('index' in s) {
      if (!isSeq(node)) return undefined;
      node = node.items[s.index];
    } else {
      if (!isSeq(node)) return undefined;
      node = node.items.find((it) => isMap(it) && String(it.get(s.match[0]) ?? '') === s.match[1]);
    }
    if (node === undefined || node === null) return undefined;
  }
  return node as Node;
}

/** The scalar at `path` as a string, in the first document that has it; undefined if none does. */
export function getYamlField(text: string, path: string): string | undefined {
  const segs = parseFieldPath(path);
  for (const doc of parseAllDocuments(text)) {
    if (!('contents' in doc)) continue;
    const node = walk(doc.contents, segs);
    if (isScalar(node) && node.value !== null && typeof node.value !== 'object') return String(node.value);
  }
  return undefined;
}

/** The scalar as YAML text in the style of the one it replaces (plain only when it stays a string). */
export function formatScalar(value: string, style: string | undefined): string {
  if (style === 'QUOTE_SINGLE') return `'${value.replace(/'/gu, "''")}'`;
  if (style === 'QUOTE_DOUBLE') return JSON.stringify(value);
  const back = parseDocument(value).contents;
  if (value !== '' && !/[#:]|^\s|\s$/u.test(value) && isScalar(back) && back.value === value) return value;
  return JSON.stringify(value);
}

/**
 * Sets the scalar at `path` (in every document of the file that has it) to `value`. Returns the
 * new text and the old value; the text is unchanged when the value already was `value`.
 */
export function setYamlField(
  text: string,
  path: string,
  value: string,
  file: string,
): { text: string; old: string; changed: boolean } {
  const segs = parseFieldPath(path);
  const edits: { start: number; end: number; text: string; old: string }[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (!('contents' in doc)) continue;
    if (doc.errors.length > 0)
      throw new GitfleetError(
        'gitwrite.InvalidYAML',
        `${file}: not valid YAML: ${doc.errors[0]?.message ?? ''}`,
      );
    const node = walk(doc.contents, segs);
    if (node === undefined) continue;
    if (!isScalar(node) || !node.range || typeof node.value === 'object')
      throw new GitfleetError('gitwrite.InvalidPath', `${file}: field ${path} is not a scalar value`);
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED')
      throw new GitfleetError(
        'gitwrite.InvalidPath',
        `${file}: field ${path} is a block scalar; use a plain or quoted value`,
      );
    const old = String(node.value);
    if (old === value) {
      edits.push({ start: 0, end: 0, text: '', old });
      continue;
    }
    edits.push({ start: node.range[0], end: node.range[1], text: formatScalar(value, node.type), old });
  }
  if (edits.length === 0)
    throw new GitfleetError(
      'gitwrite.FieldNotFound',
      `${file}: field ${path} not found (the setter does not create fields)`,
    );
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    if (e.end > e.start) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { text: out, old: edits[0]?.old ?? '', changed: out !== text };
}

/** The 1-based line of the scalar at `path` in the first document that has it; undefined if none does. */
export function fieldLine(text: string, path: string): number | undefined {
  const segs = parseFieldPath(path);
  for (const doc of parseAllDocuments(text)) {
    if (!('contents' in doc)) continue;
    const node = walk(doc.contents, segs);
    if (node?.range) return text.slice(0, node.range[0]).split('\n').length;
  }
  return undefined;
}
