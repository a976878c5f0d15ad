import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { isAbsolute, relative } from 'node:path';

import { GitfleetError } from './errors.js';

/**
 * The most gitfleet reads itself of one file a tenant wrote (a kustomization, a Chart.yaml, a
 * Chart.lock, a generator's file, a promotion's target): such files are kilobytes. Anything larger
 * is refused unread, so a repository cannot make the hub hold (and parse) gigabytes.
 */
export const TENANT_FILE_MAX_BYTES = 4 * 1024 * 1024;

/** A file larger than the reader's limit; nothing of it was read. */
export class FileTooLargeError extends GitfleetError {
  readonly size: number;
  constructor(shown: string, size: number, maxBytes: number) {
    super(
      'source.FileTooLarge',
      `${shown}: ${size} bytes, over the ${maxBytes} bytes gitfleet reads of one file`,
    );
    this.size = size;
  }
}

/**
 * A file of a checked-out tree as UTF-8 text, when it is a regular file of at most `maxBytes`,
 * judged by the open file's size before a byte is read. Throws FileTooLargeError, a
 * `source.NotAFile` error for anything but a regular file, or the filesystem's error (ENOENT…).
 * `shown` names the file in errors (a repository-relative path, never the hub's own).
 *
 * A link is followed unless `followLinks` is false. With `root` (a real path), a file whose real
 * path leaves it is refused unread (`source.PathEscape`): a tree's link must not make gitfleet read
 * the hub's own files or another tenant's checkout. The open never blocks: a FIFO is refused as not
 * a file instead of waiting for a writer.
 *
 * The reads are synchronous system calls behind a promise. These files lie in the hub's own
 * checkouts (written moments before by git, so in the page cache) and are bounded by `maxBytes`:
 * each call costs microseconds. Through fs/promises, each of its five steps was a trip through
 * libuv's thread pool and a turn of the event loop, which on a busy hub waits behind every other
 * app's work: a render of ten such files spent most of its 300 ms waiting (bench/README, session 14).
 */
export async function readFileWithin(
  abs: string,
  maxBytes: number,
  shown: string,
  opts: { followLinks?: boolean; root?: string } = {},
): Promise<string> {
  return readFileWithinSync(abs, maxBytes, shown, opts);
}

/** readFileWithin, for a caller that is itself synchronous. */
export function readFileWithinSync(
  abs: string,
  maxBytes: number,
  shown: string,
  opts: { followLinks?: boolean; root?: string } = {},
): string {
  if (opts.root !== undefined) {
    const rel = relative(opts.root, realpathSync(abs));
    if (rel.startsWith('..') || isAbsolute(rel))
      throw new GitfleetError('source.PathEscape', `${shown}: leads out of the repository`);
  }
  const flags =
    constants.O_RDONLY | constants.O_NONBLOCK | (opts.followLinks === false ? constants.O_NOFOLLOW : 0);
  const fd = openSync(abs, flags);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new GitfleetError('source.NotAFile', `${shown}: not a regular file`);
    if (info.size > maxBytes) throw new FileTooLargeError(shown, info.size, maxBytes);
    const bytes = readFileSync(fd);
    // Grown since its size was read: what was read is still not kept beyond the limit.
    if (bytes.length > maxBytes) throw new FileTooLargeError(shown, bytes.length, maxBytes);
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * stat() of a path of a checked-out tree (links followed), or undefined when it cannot be read for
 * any reason. Synchronous, for the reason readFileWithin gives.
 */
export function statOrUndefined(abs: string): Stats | undefined {
  try {
    return statSync(abs);
  } catch {
    return undefined;
  }
}
