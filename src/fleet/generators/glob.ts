// Path globs for the git generator. `*` and `?` never cross '/', `**` does, `[abc]`/`[!abc]` are
// character classes, `\` escapes. Argo CD uses Go's path.Match (no `**`); `**` is our addition so
// file generators can say `clusters/**/config.json`.

/** A glob that cannot be compiled (an unclosed `[`). */
export class GlobSyntaxError extends Error {}

const cache = new Map<string, RegExp>();

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

function classChar(ch: string): string {
  return /[\\\]^-]/.test(ch) ? `\\${ch}` : ch;
}

function compile(pattern: string): RegExp {
  const p = pattern.replace(/^\/+/, '');
  let re = '';
  let i = 0;
  while (i < p.length) {
    const ch = p[i] ?? '';
    if (ch === '*' && p[i + 1] === '*') {
      const atSegmentStart = i === 0 || p[i - 1] === '/';
      if (atSegmentStart && p[i + 2] === '/') {
        re += '(?:.*/)?'; // `**/` also matches zero directories
        i += 3;
      } else {
        re += '.*';
        i += 2;
      }
    } else if (ch === '*') {
      re += '[^/]*';
      i++;
    } else if (ch === '?') {
      re += '[^/]';
      i++;
    } else if (ch === '[') {
      let j = i + 1;
      const negated = p[j] === '!' || p[j] === '^';
      if (negated) j++;
      if (p[j] === ']') j++; // a leading ']' is literal
      while (j < p.length && p[j] !== ']') j += p[j] === '\\' ? 2 : 1;
      if (j >= p.length) throw new GlobSyntaxError(`unclosed "[" in glob "${pattern}"`);
      const body = p
        .slice(i + 1 + (negated ? 1 : 0), j)
        .replace(/\\(.)|([\\\]^])/g, (_m, escaped: string | undefined, special: string | undefined) =>
          escaped !== undefined ? classChar(escaped) : `\\${special ?? ''}`,
        );
      re += negated ? `[^/${body}]` : `[${body}]`;
      i = j + 1;
    } else if (ch === '\\' && i + 1 < p.length) {
      re += escapeRegExp(p[i + 1] ?? '');
      i += 2;
    } else {
      re += escapeRegExp(ch);
      i++;
    }
  }
  return new RegExp(`^${re}$`, 'u');
}

/**
 * Whether a repository-relative path matches a glob. Leading '/' on either side is ignored, so
 * `/apps/*` and `apps/*` mean the same. Throws {@link GlobSyntaxError} for an unclosed `[`.
 */
export function matchGlob(pattern: string, path: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    re = compile(pattern);
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(path.replace(/^\/+/, ''));
}
