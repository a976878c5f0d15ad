/**
 * Picks the latest tag by an ImagePolicy's rule, as Flux's image-reflector does: `filterTags`
 * keeps the tags matching `pattern` and compares what `extract` makes of them (`$1`, `$name`,
 * `${name}`); then semver (highest in the range), numerical or alphabetical (`asc`, the default,
 * selects the highest). Pure: the tags come from a scan.
 */
import type { ImagePolicy } from '../api/image.js';
import { GitfleetError } from '../core/errors.js';
import { compareVersions, parseRange, parseVersion, satisfiesRange } from '../engine/source/semver.js';
import { compareStrings } from '../core/compare-strings.js';

export type PolicySpec = Pick<ImagePolicy['spec'], 'policy' | 'filterTags'>;

/** Checks the rule once (for status): exactly one rule, a valid range, a valid pattern. */
export function validatePolicy(spec: PolicySpec, where: string): void {
  const rules = (['semver', 'numerical', 'alphabetical'] as const).filter(
    (k) => spec.policy[k] !== undefined,
  );
  if (rules.length !== 1)
    throw new GitfleetError(
      'image.InvalidPolicy',
      `${where}: spec.policy must have exactly one of semver, numerical, alphabetical (has ${rules.join(', ') || 'none'})`,
    );
  if (spec.policy.semver && parseRange(spec.policy.semver.range) === undefined)
    throw new GitfleetError(
      'image.InvalidPolicy',
      `${where}: spec.policy.semver.range ${JSON.stringify(spec.policy.semver.range)} is not a semver range`,
    );
  if (spec.filterTags) {
    try {
      new RegExp(spec.filterTags.pattern, 'u');
    } catch (e) {
      throw new GitfleetError(
        'image.InvalidPolicy',
        `${where}: spec.filterTags.pattern is not a valid regular expression: ${(e as Error).message}`,
      );
    }
  }
}

/** `$1`, `$name`, `${name}` of a match; `$$` is a dollar. */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(
    /\$(\$|\d+|\{([A-Za-z_]\w*)\}|[A-Za-z_]\w*)/gu,
    (all, ref: string, braced?: string) => {
      if (ref === '$') return '$';
      if (/^\d+$/u.test(ref)) return m[Number(ref)] ?? '';
      return m.groups?.[braced ?? ref] ?? '';
    },
  );
}

/** The tag chosen, or undefined when no tag qualifies. */
export function latestTag(tags: string[], spec: PolicySpec): string | undefined {
  let candidates: { tag: string; value: string }[] = tags.map((tag) => ({ tag, value: tag }));
  if (spec.filterTags) {
    const re = new RegExp(spec.filterTags.pattern, 'u');
    const extract = spec.filterTags.extract;
    candidates = candidates.flatMap(({ tag }) => {
      const m = re.exec(tag);
      if (!m) return [];
      return [{ tag, value: extract ? expand(extract, m) : tag }];
    });
  }
  const { semver, numerical, alphabetical } = spec.policy;
  if (semver) {
    const ok = candidates.flatMap((c) => {
      const v = parseVersion(c.value);
      return v && satisfiesRange(c.value, semver.range) ? [{ ...c, v }] : [];
    });
    ok.sort((a, b) => compareVersions(a.v, b.v) || compareStrings(a.tag, b.tag));
    return ok.at(-1)?.tag;
  }
  if (numerical) {
    const ok = candidates
      .filter((c) => /^-?\d+(\.\d+)?$/u.test(c.value))
      .sort((a, b) => Number(a.value) - Number(b.value) || compareStrings(a.tag, b.tag));
    return (numerical.order === 'desc' ? ok[0] : ok.at(-1))?.tag;
  }
  if (alphabetical) {
    const ok = [...candidates].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return (alphabetical.order === 'desc' ? ok[0] : ok.at(-1))?.tag;
  }
  return undefined;
}

/** Tags matching any exclusion expression are dropped (default: cosign `.sig` tags). */
export function excludeTags(tags: string[], exclusionList: string[] | undefined): string[] {
  const res = (exclusionList ?? ['^.*\\.sig$']).map((p) => new RegExp(p, 'u'));
  return tags.filter((t) => !res.some((r) => r.test(t)));
}
