/**
 * Writes chosen images into files, changing only the marked values. Two ways to mark a value:
 * - Flux's setter comments on the same line: `image: ghcr.io/org/app:1.0.0 # {"$imagepolicy": "ns:policy"}`
 *   (the whole `name:tag`), `...:tag` (the tag), `...:name` (the image name), `...:digest` (the
 *   tag's manifest digest). A marker names a
 *   policy of the automation's own namespace (`policy` alone is read as that namespace too);
 *   markers naming another namespace are left alone.
 * - Explicit setters (`spec.update.setters`): a file and a field path, for kustomization `images`
 *   entries and Helm values files that carry no comments.
 * Every other byte of every file stays as it was.
 *
 * A `:digest` marker or `value: digest` setter whose policy has no digest (it does not reflect
 * digests, or has not looked one up yet) stops the whole update with an error naming the file,
 * line, marker and policy: nothing is written. As in Flux, where the automation fails rather than
 * commit around it: the tag beside a stale digest would be a half-updated image reference, and a
 * marker that silently never moves is the bug users would not see.
 */
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { ImageSetter } from '../api/image.js';
import { GitfleetError } from '../core/errors.js';
import { fieldLine, setYamlField } from '../gitwrite/yaml-field.js';

/** A policy's choice: the image name and the tag (and its digest when the policy reflects digests). */
export interface ChosenImage {
  name: string;
  tag: string;
  /** `sha256:…` of the tag's manifest. */
  digest?: string;
  /** The policy's `spec.digestReflectionPolicy`, named in the error when a digest is asked for and absent. */
  digestReflection?: 'Never' | 'IfNotPresent' | 'Always';
}

/** A digest asked for (by marker or setter) that the policy cannot give. */
export interface DigestUnavailable {
  file: string;
  /** 1-based line of the marker or field. */
  line: number;
  /** The marker comment's reference or the setter's field path. */
  marker: string;
  policy: string;
  reflection: 'Never' | 'IfNotPresent' | 'Always';
}

export interface Change {
  file: string;
  /** 1-based line of the change. */
  line: number;
  policy: string;
  old: string;
  new: string;
}

const MARKER =
  /^(?<pre>\s*(?:-\s+)?(?:[^\s#'"][^#]*?:\s+)?)(?<val>"[^"\n]*"|'[^'\n]*'|[^\s#'"][^\s#]*)(?<post>\s+#\s*\{\s*"\$imagepolicy"\s*:\s*"(?<ref>[^"]+)"\s*\}.*)$/u;

function unquote(v: string): { text: string; quote: string } {
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))
    return { text: v.slice(1, -1), quote: v[0] ?? '' };
  return { text: v, quote: '' };
}

/** The value to write, or undefined for a digest the policy has not looked up. */
function valueOf(img: ChosenImage, what: 'tag' | 'name' | 'image' | 'digest'): string | undefined {
  if (what === 'digest') return img.digest;
  return what === 'tag' ? img.tag : what === 'name' ? img.name : `${img.name}:${img.tag}`;
}

/** Applies the marker comments of one file's text; `policies` is keyed by policy name. */
export function applyMarkers(
  text: string,
  file: string,
  namespace: string,
  policies: ReadonlyMap<string, ChosenImage>,
): { text: string; changes: Change[]; unavailable: DigestUnavailable[] } {
  const changes: Change[] = [];
  const unavailable: DigestUnavailable[] = [];
  // Split keeping the line endings, so CRLF files and a missing final newline survive.
  const lines = text.split(/(?<=\n)/u);
  const out = lines.map((raw, i) => {
    const eol = /\r?\n$/u.exec(raw)?.[0] ?? '';
    const line = raw.slice(0, raw.length - eol.length);
    const m = MARKER.exec(line);
    if (!m?.groups) return raw;
    const { pre = '', val = '', post = '', ref = '' } = m.groups;
    const parts = ref.split(':');
    let ns = namespace;
    let name: string;
    let field: string | undefined;
    if (parts.length === 1) name = parts[0] ?? '';
    else if (
      parts.length === 2 &&
      ['tag', 'name', 'digest'].includes(parts[1] ?? '') &&
      !policies.has(parts[1] ?? '')
    )
      [name, field] = [parts[0] ?? '', parts[1]];
    else [ns, name, field] = [parts[0] ?? '', parts[1] ?? '', parts[2]];
    if (ns !== namespace) return raw;
    const img = policies.get(name);
    if (!img) return raw;
    const want = valueOf(
      img,
      field === 'tag' ? 'tag' : field === 'name' ? 'name' : field === 'digest' ? 'digest' : 'image',
    );
    // A digest the policy cannot give: the line is kept and the caller refuses the whole update.
    if (want === undefined) {
      unavailable.push({
        file,
        line: i + 1,
        marker: ref,
        policy: name,
        reflection: img.digestReflection ?? 'Never',
      });
      return raw;
    }
    const { text: old, quote } = unquote(val);
    if (old === want) return raw;
    changes.push({ file, line: i + 1, policy: name, old, new: want });
    return `${pre}${quote}${want}${quote}${post}${eol}`;
  });
  return { text: out.join(''), changes, unavailable };
}

/** Applies an explicit setter to a file's text. */
export function applySetter(
  text: string,
  setter: ImageSetter,
  img: ChosenImage,
): { text: string; change?: Change; unavailable?: DigestUnavailable } {
  const want = valueOf(img, setter.value ?? 'tag');
  if (want === undefined)
    return {
      text,
      unavailable: {
        file: setter.file,
        line: fieldLine(text, setter.field) ?? 1,
        marker: `field ${setter.field} (value: digest)`,
        policy: setter.policy,
        reflection: img.digestReflection ?? 'Never',
      },
    };
  const r = setYamlField(text, setter.field, want, setter.file);
  if (!r.changed) return { text };
  let at = 0;
  while (at < text.length && text[at] === r.text[at]) at++;
  const line = text.slice(0, at).split('\n').length;
  return { text: r.text, change: { file: setter.file, line, policy: setter.policy, old: r.old, new: want } };
}

/** The error for digests asked for and not available: each place, the policy, and how to fix it. */
export function digestUnavailableError(namespace: string, list: DigestUnavailable[]): GitfleetError {
  const lines = list.map((u) => {
    const why =
      u.reflection === 'Never'
        ? `ImagePolicy ${namespace}/${u.policy} does not reflect digests (spec.digestReflectionPolicy is Never); set it to IfNotPresent or Always`
        : `ImagePolicy ${namespace}/${u.policy} has no digest in status.latestRef yet (digestReflectionPolicy ${u.reflection}); it is retried after the policy's next lookup`;
    return `${u.file}:${u.line}: ${u.marker} asks for a digest: ${why}`;
  });
  return new GitfleetError(
    'image.DigestUnavailable',
    `${lines.join('; ')}; nothing was written or committed`,
  );
}

/** A path under `root`, refusing `..`, absolute paths and anything that resolves outside. */
export function confined(root: string, path: string, what: string): string {
  const abs = resolve(root, path);
  if (path.startsWith('/') || (abs !== root && !abs.startsWith(root + sep)))
    throw new GitfleetError('image.InvalidPath', `${what} ${JSON.stringify(path)} leaves the repository`);
  return abs;
}

/** YAML files under `dir` (symbolic links are not followed: they could lead out of the clone). */
async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && /\.ya?ml$/u.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * Updates the clone at `root`: markers in YAML files under `path`, then explicit setters. Returns
 * the changed files (repository-relative) and each change. A setter naming a missing file or
 * field, or a digest a policy cannot give, is an error naming it; nothing is written then.
 */
export async function updateTree(
  root: string,
  opts: {
    path?: string;
    setters?: ImageSetter[];
    namespace: string;
    policies: ReadonlyMap<string, ChosenImage>;
  },
): Promise<{ files: string[]; changes: Change[] }> {
  const base = confined(root, opts.path ?? '.', 'spec.update.path');
  const texts = new Map<string, string>();
  const read = async (abs: string): Promise<string> => texts.get(abs) ?? (await readFile(abs, 'utf8'));
  const changes: Change[] = [];
  const unavailable: DigestUnavailable[] = [];
  for (const abs of await yamlFiles(base).catch(() => [])) {
    const rel = relative(root, abs);
    const r = applyMarkers(await read(abs), rel, opts.namespace, opts.policies);
    unavailable.push(...r.unavailable);
    if (r.changes.length > 0) {
      texts.set(abs, r.text);
      changes.push(...r.changes);
    }
  }
  for (const [i, s] of (opts.setters ?? []).entries()) {
    const img = opts.policies.get(s.policy);
    if (!img) continue; // the policy has chosen nothing yet: nothing to write
    const abs = confined(root, s.file, `spec.update.setters[${i}].file`);
    const st = await lstat(abs).catch(() => undefined);
    if (!st?.isFile())
      throw new GitfleetError(
        'image.SetterFileMissing',
        `spec.update.setters[${i}]: file ${s.file} not found (or not a regular file)`,
      );
    const r = applySetter(await read(abs), s, img);
    if (r.unavailable) unavailable.push(r.unavailable);
    if (r.change) {
      texts.set(abs, r.text);
      changes.push(r.change);
    }
  }
  if (unavailable.length > 0) throw digestUnavailableError(opts.namespace, unavailable);
  for (const [abs, text] of texts) await writeFile(abs, text);
  return { files: [...texts.keys()].map((a) => relative(root, a)).sort(), changes };
}
