// A small Semantic Versioning 2.0.0 implementation for tag ranges, following node-semver's range
// grammar and prerelease rule so users can reuse what they know from npm and Helm. No dependency:
// the engine only needs parse, compare and satisfy.

/** A parsed version. Build metadata is dropped: it never affects precedence. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
}

type Op = '<' | '<=' | '>' | '>=' | '=';
interface Comparator {
  op: Op;
  v: SemVer;
}
/** Comparators that must all hold; an empty set matches every release (`*`). */
type ComparatorSet = Comparator[];

const NUM = '0|[1-9]\\d*';
const IDENT = `(?:${NUM}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const PRE = `${IDENT}(?:\\.${IDENT})*`;
const BUILD = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const VERSION = new RegExp(`^[v=]?(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE}))?(?:\\+${BUILD})?$`);
const XR = `x|X|\\*|${NUM}`;
const PARTIAL = `[v=]?(${XR})(?:\\.(${XR})(?:\\.(${XR})(?:-(${PRE}))?(?:\\+${BUILD})?)?)?`;
const COMPARATOR = new RegExp(`^(<=|>=|<|>|=|~>|~|\\^)?${PARTIAL}$`);
const HYPHEN = new RegExp(`^${PARTIAL}\\s+-\\s+${PARTIAL}$`);

/**
 * Parses `1.2.3`, `v1.2.3`, `1.2.3-rc.1+build.5`. Partial versions (`1.2`) and leading zeros are
 * not versions (undefined), so tags like `v1.2` or `2024.01.05` never take part in range matching.
 */
export function parseVersion(text: string): SemVer | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  const nums = [m[1], m[2], m[3]].map(Number);
  if (nums.some((n) => !Number.isSafeInteger(n))) return undefined;
  const [major = 0, minor = 0, patch = 0] = nums;
  return { major, minor, patch, prerelease: m[4] ? m[4].split('.').map(identifier) : [] };
}

function identifier(id: string): string | number {
  return /^\d+$/.test(id) ? Number(id) : id;
}

/** Semver precedence: negative when a < b; a release ranks above its prereleases. */
export function compareVersions(a: SemVer, b: SemVer): number {
  return (
    a.major - b.major ||
    a.minor - b.minor ||
    a.patch - b.patch ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

function comparePrerelease(a: (string | number)[], b: (string | number)[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    // Numeric identifiers rank below alphanumeric ones.
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

interface PartialVersion {
  major?: number;
  minor?: number;
  patch?: number;
  prerelease: (string | number)[];
}

function partial(groups: (string | undefined)[]): PartialVersion | undefined {
  const num = (g: string | undefined): number | undefined =>
    g === undefined || g === 'x' || g === 'X' || g === '*' ? undefined : Number(g);
  const major = num(groups[0]);
  // Once a part is a wildcard, the parts after it are too (`1.x.3` is `1.x`).
  const minor = major === undefined ? undefined : num(groups[1]);
  const patch = minor === undefined ? undefined : num(groups[2]);
  if ([major, minor, patch].some((n) => n !== undefined && !Number.isSafeInteger(n))) return undefined;
  const prerelease = patch !== undefined && groups[3] ? groups[3].split('.').map(identifier) : [];
  return { major, minor, patch, prerelease };
}

const v = (major: number, minor: number, patch: number, prerelease: (string | number)[] = []): SemVer => ({
  major,
  minor,
  patch,
  prerelease,
});
/** `-0` is the lowest prerelease: `<2.0.0-0` excludes 2.0.0's prereleases as well as 2.0.0. */
const below = (major: number, minor: number, patch: number): Comparator => ({
  op: '<',
  v: v(major, minor, patch, [0]),
});
const NOTHING: ComparatorSet = [below(0, 0, 0)];

/** Desugars one operator + partial version into plain comparators, as node-semver does. */
function desugar(op: string, p: PartialVersion): ComparatorSet {
  const { major: M, minor: m, patch: pa, prerelease: pre } = p;
  if (M === undefined) return op === '<' || op === '>' ? NOTHING : [];
  const lower = (major: number, minor: number, patch: number, prerelease = pre): Comparator => ({
    op: '>=',
    v: v(major, minor, patch, prerelease),
  });
  switch (op) {
    case '':
    case '=':
      if (m === undefined) return [lower(M, 0, 0), below(M + 1, 0, 0)];
      if (pa === undefined) return [lower(M, m, 0), below(M, m + 1, 0)];
      return [{ op: '=', v: v(M, m, pa, pre) }];
    case '>':
      if (m === undefined) return [lower(M + 1, 0, 0)];
      if (pa === undefined) return [lower(M, m + 1, 0)];
      return [{ op: '>', v: v(M, m, pa, pre) }];
    case '>=':
      return [lower(M, m ?? 0, pa ?? 0)];
    case '<':
      return [
        m === undefined
          ? below(M, 0, 0)
          : pa === undefined
            ? below(M, m, 0)
            : { op: '<', v: v(M, m, pa, pre) },
      ];
    case '<=':
      if (m === undefined) return [below(M + 1, 0, 0)];
      if (pa === undefined) return [below(M, m + 1, 0)];
      return [{ op: '<=', v: v(M, m, pa, pre) }];
    case '~':
    case '~>':
      if (m === undefined) return [lower(M, 0, 0), below(M + 1, 0, 0)];
      return [lower(M, m, pa ?? 0), below(M, m + 1, 0)];
    case '^':
      if (m === undefined) return [lower(M, 0, 0), below(M + 1, 0, 0)];
      if (pa === undefined) return [lower(M, m, 0), M === 0 ? below(0, m + 1, 0) : below(M + 1, 0, 0)];
      // The left-most non-zero part is the one that may not change.
      if (M > 0) return [lower(M, m, pa), below(M + 1, 0, 0)];
      if (m > 0) return [lower(0, m, pa), below(0, m + 1, 0)];
      return [lower(0, 0, pa), below(0, 0, pa + 1)];
    default:
      return NOTHING;
  }
}

function hyphen(from: PartialVersion, to: PartialVersion): ComparatorSet {
  const set: ComparatorSet = [];
  if (from.major !== undefined)
    set.push({ op: '>=', v: v(from.major, from.minor ?? 0, from.patch ?? 0, from.prerelease) });
  if (to.major !== undefined) {
    if (to.minor === undefined) set.push(below(to.major + 1, 0, 0));
    else if (to.patch === undefined) set.push(below(to.major, to.minor + 1, 0));
    else set.push({ op: '<=', v: v(to.major, to.minor, to.patch, to.prerelease) });
  }
  return set;
}

function parseSet(text: string): ComparatorSet | undefined {
  const trimmed = text.trim();
  const h = HYPHEN.exec(trimmed);
  if (h) {
    const from = partial(h.slice(1, 5));
    const to = partial(h.slice(5, 9));
    return from && to ? hyphen(from, to) : undefined;
  }
  // `>= 1.2` is `>=1.2`: an operator binds to the version after it.
  const tokens = trimmed
    .replace(/(<=|>=|<|>|=|~>|~|\^)\s+/g, '$1')
    .split(/\s+/)
    .filter((t) => t !== '');
  const set: ComparatorSet = [];
  for (const token of tokens) {
    const m = COMPARATOR.exec(token);
    if (!m) return undefined;
    const p = partial(m.slice(2, 6));
    if (!p) return undefined;
    set.push(...desugar(m[1] ?? '', p));
  }
  return set;
}

/** Parses a range (`||`-separated sets); undefined when any part is not valid range syntax. */
export function parseRange(range: string): ComparatorSet[] | undefined {
  const sets: ComparatorSet[] = [];
  for (const part of range.split('||')) {
    const set = parseSet(part);
    if (!set) return undefined;
    sets.push(set);
  }
  return sets;
}

function test(c: Comparator, version: SemVer): boolean {
  const cmp = compareVersions(version, c.v);
  switch (c.op) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    case '=':
      return cmp === 0;
  }
}

function testSet(set: ComparatorSet, version: SemVer): boolean {
  if (!set.every((c) => test(c, version))) return false;
  if (version.prerelease.length === 0) return true;
  // A prerelease only matches when the range names a prerelease of the same major.minor.patch:
  // `>=1.2.3-beta.1` admits 1.2.3-beta.2 but not 1.3.0-alpha, so `^1.2` never picks a release
  // candidate. The `-0` of generated upper bounds is never that tuple for a version it admits.
  return set.some(
    (c) =>
      c.v.prerelease.length > 0 &&
      c.v.major === version.major &&
      c.v.minor === version.minor &&
      c.v.patch === version.patch,
  );
}

/**
 * Whether `version` (optionally `v`-prefixed) lies in `range`. Ranges follow node-semver:
 * comparators `> >= < <= =`, hyphen ranges `1.2 - 2.3.4`, caret `^1.2.3`, tilde `~1.4.0` (`~>` too),
 * x-ranges `1.x`, `1.2.*`, `*` or `''`, and `||` alternatives. Prereleases match only ranges that
 * name a prerelease of the same major.minor.patch. An unparsable version or range gives false.
 */
export function satisfiesRange(version: string, range: string): boolean {
  const parsed = parseVersion(version);
  const sets = parseRange(range);
  return parsed !== undefined && sets !== undefined && sets.some((s) => testSet(s, parsed));
}

/**
 * The highest of `versions` that satisfies `range`, returned as given (so a tag name comes back
 * with its `v`). Entries that are not versions are skipped; between equal versions (`v1.0.0` and
 * `1.0.0`) the first wins. Undefined when nothing matches or the range is invalid.
 */
export function maxSatisfying(versions: string[], range: string): string | undefined {
  const sets = parseRange(range);
  if (!sets) return undefined;
  let best: { text: string; v: SemVer } | undefined;
  for (const text of versions) {
    const parsed = parseVersion(text);
    if (!parsed || !sets.some((s) => testSet(s, parsed))) continue;
    if (!best || compareVersions(parsed, best.v) > 0) best = { text, v: parsed };
  }
  return best?.text;
}
