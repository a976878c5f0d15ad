// Semantic-version constraints as Sprig's `semverCompare` reads them (Masterminds/semver v3
// grammar): comparators `=`, `!=`, `>`, `<`, `>=`, `<=`/`=<`, `~`/`~>`, `^`, wildcards (`1.2.x`,
// `*`), hyphen ranges (`1.2 - 1.4.5`), AND by `,` or space, OR by `||`. A pre-release version
// matches only a comparator that itself names a pre-release, as in Masterminds.

interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}

const VERSION = /^v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parseVersion(text: string): Version {
  const m = VERSION.exec(text.trim());
  if (!m) throw new Error(`invalid semantic version ${JSON.stringify(text)}`);
  return {
    major: Number(m[1]),
    minor: m[2] && /\d/.test(m[2]) ? Number(m[2]) : 0,
    patch: m[3] && /\d/.test(m[3]) ? Number(m[3]) : 0,
    pre: m[4] ? m[4].split('.') : [],
  };
}

function compare(a: Version, b: Version): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  if (!a.pre.length || !b.pre.length) return a.pre.length === b.pre.length ? 0 : a.pre.length ? -1 : 1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) < Number(y) ? -1 : 1;
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** How many of major.minor.patch a comparator wrote as numbers (`1.2` → 2, `1.x` → 1, `*` → 0). */
function precision(text: string): number {
  const core = text.replace(/^v/, '').split(/[-+]/)[0] ?? '';
  if (/^[xX*](\.[xX*\d]+)*$/.test(core)) return 0;
  if (!/^\d/.test(core)) throw new Error(`invalid version ${JSON.stringify(text)} in constraint`);
  let n = 0;
  for (const part of core.split('.')) {
    if (!/^\d+$/.test(part)) break;
    n++;
  }
  return n;
}

const v = (major: number, minor: number, patch: number): Version => ({ major, minor, patch, pre: [] });

function matchOne(op: string, text: string, ver: Version): boolean {
  const p = precision(text);
  if (p === 0) return op === '!=' ? false : true;
  const c = parseVersion(text.replace(/\.[xX*]/g, '.0'));
  const upper = (): Version =>
    p === 1 ? v(c.major + 1, 0, 0) : p === 2 ? v(c.major, c.minor + 1, 0) : v(c.major, c.minor, c.patch + 1);
  switch (op) {
    case '':
    case '=':
      return p === 3 ? compare(ver, c) === 0 : compare(ver, c) >= 0 && compare(ver, upper()) < 0;
    case '!=':
      return p === 3 ? compare(ver, c) !== 0 : !(compare(ver, c) >= 0 && compare(ver, upper()) < 0);
    case '>':
      return p === 3 ? compare(ver, c) > 0 : compare(ver, upper()) >= 0;
    case '>=':
      return compare(ver, c) >= 0;
    case '<':
      return compare(ver, c) < 0;
    case '<=':
    case '=<':
      return p === 3 ? compare(ver, c) <= 0 : compare(ver, upper()) < 0;
    case '~':
    case '~>':
      return (
        compare(ver, c) >= 0 && compare(ver, p === 1 ? v(c.major + 1, 0, 0) : v(c.major, c.minor + 1, 0)) < 0
      );
    case '^': {
      const top =
        c.major > 0 || p === 1
          ? v(c.major + 1, 0, 0)
          : c.minor > 0 || p === 2
            ? v(0, c.minor + 1, 0)
            : v(0, 0, c.patch + 1);
      return compare(ver, c) >= 0 && compare(ver, top) < 0;
    }
    default:
      throw new Error(`unknown operator ${JSON.stringify(op)}`);
  }
}

/** Whether `version` satisfies `constraint`; throws for an unparsable constraint or version. */
export function semverCompare(constraint: string, version: string): boolean {
  const ver = parseVersion(version);
  return constraint.split('||').some((alternative) => {
    const text = alternative.trim().replace(/\s+-\s+/g, ' - ');
    const hyphen = /^(\S+) - (\S+)$/.exec(text);
    const parts: [string, string][] = hyphen
      ? [
          ['>=', hyphen[1] ?? ''],
          ['<=', hyphen[2] ?? ''],
        ]
      : text
          .split(/[\s,]+/)
          .filter(Boolean)
          .reduce<string[]>((acc, tok) => {
            // `>= 1.2` (operator and version apart) is one comparator.
            if (acc.length && /^(=|!=|>|<|>=|<=|=<|~|~>|\^)$/.test(acc.at(-1) ?? ''))
              acc[acc.length - 1] += tok;
            else acc.push(tok);
            return acc;
          }, [])
          .map((tok) => {
            const m = /^(!=|>=|<=|=<|~>|=|>|<|~|\^)?(.*)$/.exec(tok);
            return [m?.[1] ?? '', m?.[2] ?? ''];
          });
    if (parts.length === 0) throw new Error(`empty constraint ${JSON.stringify(constraint)}`);
    for (const [, t] of parts) if (precision(t) > 0) parseVersion(t.replace(/\.[xX*]/g, '.0'));
    if (ver.pre.length && !parts.some(([, t]) => t.includes('-'))) return false;
    return parts.every(([op, t]) => matchOne(op, t, ver));
  });
}
