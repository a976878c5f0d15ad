// The archive store is bounded: least recently used archives go first, none being extracted.
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { ArchiveCache, sha256 } from './chart-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'gitfleet-archive-cache-'));
  dirs.push(d);
  return d;
};
const blob = (fill: string): Buffer => Buffer.alloc(400, fill);

describe('ArchiveCache eviction', () => {
  it('deletes the least recently used archives past maxBytes, counting them', async () => {
    const evicted: string[] = [];
    const cache = new ArchiveCache(tempDir(), { maxBytes: 1000, onEvict: (e) => evicted.push(e.digest) });
    const a = await cache.put(blob('a'), undefined, 'a');
    const b = await cache.put(blob('b'), undefined, 'b');
    expect(cache.stats()).toMatchObject({ archives: 2, bytes: 800, evictions: 0 });
    // a is used again, so b is now the least recently used.
    expect(await cache.get(a)).toEqual(blob('a'));
    const c = await cache.put(blob('c'), undefined, 'c');
    expect(evicted).toEqual([b]);
    expect(await cache.has(b)).toBe(false);
    expect(await cache.has(a)).toBe(true);
    expect(await cache.has(c)).toBe(true);
    expect(cache.stats()).toEqual({
      archives: 2,
      bytes: 800,
      maxBytes: 1000,
      evictions: 1,
      evictedBytes: 400,
    });
    // Evicted means downloaded again when needed: storing it again works.
    expect(await cache.put(blob('b'), b, 'b')).toBe(b);
    expect(await cache.has(b)).toBe(true);
  });

  it('after a restart, starts from the files on disk, oldest mtime first', async () => {
    const dir = tempDir();
    const first = new ArchiveCache(dir, { maxBytes: 10_000 });
    const old = await first.put(blob('o'), undefined, 'o');
    const recent = await first.put(blob('r'), undefined, 'r');
    utimesSync(join(dir, 'blobs', old), new Date('2020-01-01'), new Date('2020-01-01'));
    const second = new ArchiveCache(dir, { maxBytes: 900 });
    await second.put(blob('n'), undefined, 'n');
    expect(await second.has(old)).toBe(false);
    expect(await second.has(recent)).toBe(true);
    expect(second.stats()).toMatchObject({ archives: 2, bytes: 800, evictions: 1 });
  });

  it('never evicts the archive just stored, even when it alone is over the bound', async () => {
    const cache = new ArchiveCache(tempDir(), { maxBytes: 100 });
    const big = await cache.put(blob('x'), undefined, 'x');
    expect(await cache.has(big)).toBe(true);
    expect(sha256(blob('x'))).toBe(big);
  });
});
