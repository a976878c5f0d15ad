import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A file tree to write: string values are files, `{ link }` values are symlinks. */
export type TreeEntries = Record<string, string | { link: string }>;

/**
 * Temporary repositories for tests of code that reads a checkout: `tree()` writes one under the
 * system's temporary directory; `cleanup()` (in afterEach) removes every tree and every path handed
 * to `remember()`.
 */
export function tempTrees(prefix: string): {
  tree: (entries: TreeEntries) => string;
  remember: (path: string) => void;
  cleanup: () => void;
} {
  const made: string[] = [];
  return {
    tree(entries) {
      const root = mkdtempSync(join(tmpdir(), prefix));
      made.push(root);
      for (const [p, v] of Object.entries(entries)) {
        mkdirSync(dirname(join(root, p)), { recursive: true });
        if (typeof v === 'string') writeFileSync(join(root, p), v);
        else symlinkSync(v.link, join(root, p));
      }
      return root;
    },
    remember: (path) => void made.push(path),
    cleanup() {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}
