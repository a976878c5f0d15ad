/**
 * The inputs of a render: every repository path the renderer can read. One walk serves two rules.
 *
 * - **Confinement** checks only what the app reads: an escaping symlink in another team's folder
 *   of a monorepo must not fail this app, while one inside what it reads must.
 * - **The cache key** is made of the Git object ids of these paths (see renderCacheKey), so a
 *   change in a kustomize `../base`, a helm value file outside the chart or a symlink's target
 *   re-renders the app, and a commit elsewhere in the repository does not.
 */
import { readdirSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';

import { statOrUndefined } from '../../core/read-within.js';
import { confinedRealpath, toRel } from './confine.js';
import { throwIfAborted } from './exec.js';

/**
 * More inputs than this and the key uses the whole repository tree instead: one tree hash is
 * cheaper than dozens of lookups and the render is no less correct, only re-run more often.
 */
export const MAX_INPUT_PATHS = 64;

/** Collects repository-relative paths (real, `/`-separated, '' = root) as inputs of a render. */
export class InputSet {
  readonly #paths = new Set<string>();
  readonly #walked = new Set<string>();

  add(rel: string): void {
    this.#paths.add(rel);
  }

  /**
   * Adds the directory `dirAbs` (real path inside `rootReal`) and walks it — recursively unless
   * `recursive` is false — refusing any symlink that resolves outside the root (PathEscapeError).
   * A symlink inside the root adds its target as an input, and a linked directory is walked in
   * turn (once: cycles end). `.git` at the root is skipped: git writes no symlinks there.
   */
  async addDirectory(
    rootReal: string,
    dirAbs: string,
    opts: { recursive: boolean; signal?: AbortSignal | undefined },
  ): Promise<void> {
    this.add(toRel(rootReal, dirAbs));
    const pending = [dirAbs];
    for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
      if (this.#walked.has(dir)) continue;
      this.#walked.add(dir);
      throwIfAborted(opts.signal);
      // Synchronous, as the other reads of a checkout (core/read-within.ts says why).
      let entries: Dirent[] = [];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        // Unreadable: nothing below it is an input the renderer can read either.
      }
      for (const e of entries) {
        const abs = join(dir, e.name);
        if (e.isSymbolicLink()) {
          const target = await confinedRealpath(rootReal, abs, toRel(rootReal, abs));
          this.add(toRel(rootReal, target));
          const info = statOrUndefined(target);
          if (info?.isDirectory() && opts.recursive) pending.push(target);
        } else if (e.isDirectory() && opts.recursive && !(dir === rootReal && e.name === '.git')) {
          pending.push(abs);
        }
      }
    }
  }

  /**
   * The inputs, sorted, without paths lying under another input (the parent's tree hash covers
   * them); `['']` (the whole repository) when there are more than MAX_INPUT_PATHS.
   */
  paths(): string[] {
    const sorted = [...this.#paths].sort();
    if (sorted.includes('')) return [''];
    const out: string[] = [];
    for (const p of sorted) {
      if (!out.some((q) => p.startsWith(`${q}/`))) out.push(p);
    }
    return out.length > MAX_INPUT_PATHS ? [''] : out;
  }
}
