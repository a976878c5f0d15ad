/**
 * `*` matches any run of characters (slashes included: repository URLs and group names are
 * matched whole); everything else literally. The one glob rule of governance.
 */
export function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}

/** Whether any pattern matches; an absent or empty list matches nothing. */
export const anyWildcard = (patterns: readonly string[] | undefined, value: string): boolean =>
  (patterns ?? []).some((p) => wildcard(p, value));
