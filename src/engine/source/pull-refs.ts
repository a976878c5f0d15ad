/**
 * Keeps the pull request heads fetched into a mirror (`refs/gitfleet/pull/<n>`) from piling up.
 * Each one pins a fork's commits in the mirror forever otherwise. After a pull request head is
 * fetched, the mirror's other pull request refs are deleted when:
 * - the host no longer lists their pull request as open (closed or merged), when the caller knows
 *   the open ones;
 * - they were not used (fetched) for `maxAgeMs` (a backstop for hosts that cannot be listed);
 * - they are beyond `maxCount`, least recently used first.
 * The ref just fetched is always kept. Use times live in a small JSON file in the mirror (refs carry
 * no time of their own, and a bare mirror keeps no reflog); a ref with no recorded use counts as
 * used now, so refs fetched before this existed get the full age before they go.
 * Refs are deleted one `git update-ref -d` each, over names this module built from numbers.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit, type ExecOptions } from './git-exec.js';

export const PULL_REF_PREFIX = 'refs/gitfleet/pull/';
const USES_FILE = 'gitfleet-pull-refs.json';

export interface PullRefLimits {
  /** Numbers of the pull requests the host lists as open; undefined when unknown. */
  open?: readonly number[];
  /** Refs not fetched for this long are deleted; default 14 days. */
  maxAgeMs?: number;
  /** At most this many refs are kept; default 100. */
  maxCount?: number;
  now: number;
}

export const PULL_REF_DEFAULTS = { maxAgeMs: 14 * 24 * 3_600_000, maxCount: 100 };

/**
 * Records that pull request `used` was fetched now and deletes the refs the limits rule out.
 * Returns the numbers deleted. Local commands only (no network), with `exec.gitDir` set to the
 * mirror by the caller's `dir`.
 */
export async function tidyPullRefs(
  dir: string,
  used: number,
  limits: PullRefLimits,
  exec: ExecOptions,
): Promise<number[]> {
  const local = { ...exec, gitDir: dir, remote: false };
  const listed = await runGit(
    ['for-each-ref', '--format=%(refname)', '--end-of-options', PULL_REF_PREFIX],
    local,
  );
  const present = new Set<number>();
  for (const name of listed.split('\n')) {
    const m = /^refs\/gitfleet\/pull\/([1-9][0-9]{0,15})$/u.exec(name.trim());
    if (m?.[1]) present.add(Number(m[1]));
  }
  const uses = await readUses(dir);
  for (const n of present) uses.set(n, uses.get(n) ?? limits.now);
  uses.set(used, limits.now);
  const maxAge = limits.maxAgeMs ?? PULL_REF_DEFAULTS.maxAgeMs;
  const maxCount = Math.max(1, limits.maxCount ?? PULL_REF_DEFAULTS.maxCount);
  const open = limits.open ? new Set(limits.open) : undefined;
  const doomed = new Set<number>();
  for (const n of present) {
    if (n === used) continue;
    if (open && !open.has(n)) doomed.add(n);
    else if (limits.now - (uses.get(n) ?? limits.now) > maxAge) doomed.add(n);
  }
  // Beyond the count: least recently used first (the one just fetched is the most recent).
  const kept = [...present]
    .filter((n) => !doomed.has(n))
    .sort((a, b) => (uses.get(b) ?? 0) - (uses.get(a) ?? 0));
  for (const n of kept.slice(maxCount)) if (n !== used) doomed.add(n);
  for (const n of doomed)
    await runGit(['update-ref', '-d', '--end-of-options', `${PULL_REF_PREFIX}${n}`], local);
  for (const n of [...uses.keys()]) if (!present.has(n) && n !== used) uses.delete(n);
  for (const n of doomed) uses.delete(n);
  await writeUses(dir, uses);
  return [...doomed].sort((a, b) => a - b);
}

async function readUses(dir: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const text = await readFile(join(dir, USES_FILE), 'utf8').catch(() => '');
  if (!text) return out;
  try {
    const obj = JSON.parse(text) as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj))
      if (/^[1-9][0-9]{0,15}$/u.test(k) && typeof v === 'number' && Number.isFinite(v)) out.set(Number(k), v);
  } catch {
    // A damaged file only loses use times: every ref then counts as used now.
  }
  return out;
}

async function writeUses(dir: string, uses: Map<number, number>): Promise<void> {
  const tmp = join(dir, `${USES_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(Object.fromEntries([...uses].sort((a, b) => a[0] - b[0]))));
  await rename(tmp, join(dir, USES_FILE));
}
