/**
 * Content-addressed store of downloaded archives (Helm charts, OCI layers): `<dir>/blobs/<sha256>`
 * holds the bytes, `<dir>/trees/<key>` an extracted tree. An archive is fetched once whatever
 * number of apps and clusters use it, and a tree is never modified once written (renders read it
 * as they read a Git checkout). Extraction runs Debian's GNU `tar` with argv: it refuses absolute
 * and `..` member names by default, and we drop owners and modes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { SourceError } from '../errors.js';
import { SharedTasks } from './shared.js';

const run = promisify(execFile);

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export class ArchiveCache {
  readonly #dir: string;
  readonly #trees = new SharedTasks<string>();
  #bytes = 0;
  #count = 0;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Bytes and number of archives stored by this process (the bench reports them). */
  stats(): { archives: number; bytes: number } {
    return { archives: this.#count, bytes: this.#bytes };
  }

  #blob(digest: string): string {
    if (!/^[a-f0-9]{64}$/u.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.#dir, 'blobs', digest);
  }

  /** The stored archive, or undefined. */
  async get(digest: string): Promise<Buffer | undefined> {
    return readFile(this.#blob(digest)).catch(() => undefined);
  }

  async has(digest: string): Promise<boolean> {
    return stat(this.#blob(digest)).then(
      () => true,
      () => false,
    );
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
    this.#bytes += data.length;
    this.#count += 1;
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
    }
  }
}
