/**
 * A small glob matcher for the directory source's include/exclude lists, so we need no
 * dependency for four operators. Patterns are matched against `/`-separated paths relative to the
 * app path.
 *
 * - `*` matches any run of characters except `/`; `?` matches one character except `/`.
 * - `**` as a whole segment matches zero or more segments (`base/**`, `**\/x.yaml`, `a/**\/b`).
 * - `{a,b}` matches either alternative (Argo CD's examples use it), nesting allowed.
 * - `\` makes the next character literal.
 * - A pattern without `/` is also tried against the file's base name, so `*.yaml` keeps every YAML
 *   file of a recursive walk (Argo CD's matcher lets `*` cross `/`; users rely on that).
 */

/** Compiles a glob to an anchored RegExp; an unbalanced `{` or `}` is taken literally. */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${translate(pattern)}$`, 'u');
}

/**
 * True when `relPath` matches `pattern` (see the module comment). An empty pattern matches
 * nothing, so an empty string in an include list does not silently include everything.
 */
export function matchGlob(pattern: string, relPath: string): boolean {
  if (pattern === '') return false;
  const re = globToRegExp(pattern);
  if (re.test(relPath)) return true;
  if (pattern.includes('/')) return false;
  const slash = relPath.lastIndexOf('/');
  return slash >= 0 && re.test(relPath.slice(slash + 1));
}

/** True when any of `patterns` matches `relPath`. */
export function matchAny(patterns: readonly string[], relPath: string): boolean {
  return patterns.some((p) => matchGlob(p, relPath));
}

function translate(pattern: string): string {
  let out = '';
  let depth = 0;
  const closers = matchingBraces(pattern);
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\' && i + 1 < pattern.length) {
      out += escapeRe(pattern.charAt(++i));
    } else if (c === '*') {
      const atSegmentStart = i === 0 || pattern.charAt(i - 1) === '/';
      if (pattern.charAt(i + 1) === '*' && atSegmentStart) {
        const next = pattern.charAt(i + 2);
        if (next === '/') {
          out += '(?:[^/]*/)*';
          i += 2;
          continue;
        }
        if (next === '' || next === '}' || next === ',') {
          out += '.*';
          i += 1;
          continue;
        }
      }
      // A lone `*`, or `**` inside a segment (`a**b`), stays within one segment.
      while (pattern.charAt(i + 1) === '*') i++;
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '{' && closers.has(i)) {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) {
      out += '|';
    } else {
      out += escapeRe(c);
    }
  }
  return out;
}

/** Positions of `{` that have a matching `}`, so a stray brace is literal rather than an error. */
function matchingBraces(pattern: string): Set<number> {
  const open: number[] = [];
  const balanced = new Set<number>();
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\') i++;
    else if (c === '{') open.push(i);
    else if (c === '}') {
      const start = open.pop();
      if (start !== undefined) balanced.add(start);
    }
  }
  return balanced;
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/u.test(c) ? `\\${c}` : c;
}
