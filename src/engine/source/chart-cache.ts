/**
 * Content-addressed store of downloaded archives (Helm charts, OCI layers): `<dir>/blobs/<sha256>`
 * holds the bytes, `<dir>/trees/<key>` an extracted tree. An archive is fetched once whatever
 * number of apps and clusters use it, and a tree is never modified once written (renders read it
 * as they read a Git checkout). Extraction runs Debian's GNU `tar` with argv: it refuses absolute
 * and `..` member names by default, and we drop owners and modes.
 *
 * Archives are bounded: past `maxBytes` the least recently used ones (by get/has/put, starting
 * from their files' mtimes after a restart) are deleted, never one being extracted; a deleted
 * archive is downloaded again when next needed. Extracted trees stay (renders may be reading them).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { SourceError } from '../errors.js';
import { SharedTasks } from './shared.js';

const run = promisify(execFile);

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Default bound of the stored archives: charts are small, a fleet's set of them fits easily. */
export const DEFAULT_ARCHIVE_CACHE_BYTES = 1024 * 1024 * 1024;

export interface ArchiveCacheOptions {
  /** Bound of the stored archives in bytes; default DEFAULT_ARCHIVE_CACHE_BYTES. */
  maxBytes?: number;
  /** Told of every eviction (a metric counts them). */
  onEvict?: (e: { digest: string; bytes: number }) => void;
}

export class ArchiveCache {
  readonly #dir: string;
  readonly #trees = new SharedTasks<string>();
  readonly #maxBytes: number;
  readonly #onEvict: ArchiveCacheOptions['onEvict'];
  /** digest → size, least recently used first (a Map keeps insertion order; a use re-inserts). */
  #lru: Map<string, number> | undefined;
  #loading: Promise<Map<string, number>> | undefined;
  readonly #extracting = new Map<string, number>();
  #bytes = 0;
  #evictions = 0;
  #evictedBytes = 0;

  constructor(dir: string, opts: ArchiveCacheOptions = {}) {
    this.#dir = dir;
    this.#maxBytes = opts.maxBytes ?? DEFAULT_ARCHIVE_CACHE_BYTES;
    this.#onEvict = opts.onEvict;
  }

  /** Archives and bytes stored, and evictions so far (the bench and metrics report them). */
  stats(): { archives: number; bytes: number; maxBytes: number; evictions: number; evictedBytes: number } {
    return {
      archives: this.#lru?.size ?? 0,
      maxBytes: this.#maxBytes,
      bytes: this.#bytes,
      evictions: this.#evictions,
      evictedBytes: this.#evictedBytes,
    };
  }

  /** The index of stored archives, read once from disk (oldest mtime first). */
  async #index(): Promise<Map<string, number>> {
    if (this.#lru) return this.#lru;
    this.#loading ??= (async () => {
      const dir = join(this.#dir, 'blobs');
      const names = await readdir(dir).catch(() => [] as string[]);
      const found: { digest: string; size: number; mtime: number }[] = [];
      for (const name of names) {
        if (!/^[a-f0-9]{64}$/u.test(name)) continue;
        const info = await stat(join(dir, name)).catch(() => undefined);
        if (info?.isFile()) found.push({ digest: name, size: info.size, mtime: info.mtimeMs });
      }
      found.sort((a, b) => a.mtime - b.mtime);
      const lru = new Map(found.map((f) => [f.digest, f.size] as const));
      this.#bytes = found.reduce((n, f) => n + f.size, 0);
      this.#lru = lru;
      return lru;
    })();
    return this.#loading;
  }

  async #touch(digest: string): Promise<void> {
    const lru = await this.#index();
    const size = lru.get(digest);
    if (size === undefined) return;
    lru.delete(digest);
    lru.set(digest, size);
  }

  /** Deletes least recently used archives until the store fits, keeping `keep` and any being extracted. */
  async #evict(keep: string): Promise<void> {
    const lru = await this.#index();
    for (const [digest, size] of [...lru]) {
      if (this.#bytes <= this.#maxBytes) return;
      if (digest === keep || this.#extracting.has(digest)) continue;
      lru.delete(digest);
      this.#bytes -= size;
      this.#evictions += 1;
      this.#evictedBytes += size;
      await rm(this.#blob(digest), { force: true });
      this.#onEvict?.({ digest, bytes: size });
    }
  }

  #blob(digest: string): string {
    if (!/^[a-f0-9]{64}$/u.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.#dir, 'blobs', digest);
  }

  /** The stored archive, or undefined. */
  async get(digest: string): Promise<Buffer | undefined> {
    const data = await readFile(this.#blob(digest)).catch(() => undefined);
    if (data) await this.#touch(digest);
    return data;
  }

  async has(digest: string): Promise<boolean> {
    const found = await stat(this.#blob(digest)).then(
      () => true,
      () => false,
    );
    if (found) await this.#touch(digest);
    return found;
  }

  /** Stores `data`, checking it is `digest` when one is expected; returns its digest. */
  async put(data: Buffer, expected: string | undefined, what: string): Promise<string> {
    const digest = sha256(data);
    if (expected !== undefined && expected !== digest)
      throw new SourceError(
        what,
        `downloaded archive has digest sha256:${digest}, expected sha256:${expected}`,
        {
          code: 'source.DigestMismatch',
        },
      );
    const path = this.#blob(digest);
    if (await this.has(digest)) return digest;
    await mkdir(join(this.#dir, 'blobs'), { recursive: true });
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(tmp, data);
    await rename(tmp, path);
    const lru = await this.#index();
    if (!lru.has(digest)) {
      lru.set(digest, data.length);
      this.#bytes += data.length;
    }
    await this.#evict(digest);
    return digest;
  }

  /**
   * A tree built once per `key` (a digest of everything in it): `build(dir)` fills a fresh
   * directory, which becomes `<dir>/trees/<key>` when it succeeds. Concurrent callers share one build.
   */
  async tree(key: string, build: (dir: string) => Promise<void>): Promise<string> {
    if (!/^[a-f0-9]{64}$/u.test(key)) throw new Error(`not a tree key: ${key}`);
    const final = join(this.#dir, 'trees', key);
    if (
      await stat(final).then(
        () => true,
        () => false,
      )
    )
      return final;
    return this.#trees.run(
      key,
      async () => {
        const tmp = `${final}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
        await mkdir(tmp, { recursive: true });
        try {
          await build(tmp);
          await rename(tmp, final).catch(async (e: unknown) => {
            // Another process made it first: theirs is the same content.
            if ((e as { code?: string }).code !== 'ENOTEMPTY' && (e as { code?: string }).code !== 'EEXIST')
              throw e;
            await rm(tmp, { recursive: true, force: true });
          });
          return final;
        } catch (e) {
          await rm(tmp, { recursive: true, force: true });
          throw e;
        }
      },
      undefined,
      () => new Error('aborted'),
    );
  }

  /** Extracts the stored gzip'd tar `digest` into `dir` (no owners, no modes beyond umask). */
  async extract(digest: string, dir: string, what: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    this.#extracting.set(digest, (this.#extracting.get(digest) ?? 0) + 1);
    try {
      await run(
        'tar',
        [
          '-xzf',
          this.#blob(digest),
          '-C',
          dir,
          '--no-same-owner',
          '--no-same-permissions',
          '--no-overwrite-dir',
        ],
        { timeout: 60_000, maxBuffer: 1024 * 1024 },
      );
    } catch (e) {
      const err = e as { code?: string; stderr?: string };
      if (err.code === 'ENOENT')
        throw new Error("tar is not on PATH: install it with 'apt-get install -y tar'", { cause: e });
      throw new SourceError(
        what,
        `archive sha256:${digest} cannot be extracted: ${(err.stderr ?? '').trim()}`,
        {
          cause: e,
          code: 'source.BadArchive',
        },
      );
    } finally {
      const n = (this.#extracting.get(digest) ?? 1) - 1;
      if (n > 0) this.#extracting.set(digest, n);
      else this.#extracting.delete(digest);
    }
  }
}
