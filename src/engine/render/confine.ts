/**
 * Path confinement: everything a render reads must lie inside the checked-out repository. A
 * repository is untrusted input; a symlink to `/etc` or a `../../` path would otherwise let an
 * Application exfiltrate files of the controller's host into rendered objects (and so into a
 * cluster and its status).
 *
 * The checks make synchronous system calls on the hub's own checkouts, for the reason
 * core/read-within.ts gives: each is microseconds, where a trip through the thread pool and the
 * event loop waited behind every other app's work on a busy hub.
 */
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';

import { PathEscapeError, RenderError } from '../errors.js';

/** An app directory: its real absolute path, and its path relative to the root as the user wrote it. */
export interface AppDir {
  /** Real path (symlinks resolved) used for reading. */
  abs: string;
  /** Repository-relative, `/`-separated, '' for the root: used in origins and messages. */
  rel: string;
}

/**
 * The real path of the repository root. Comparisons are made against it so a root reached through
 * a symlink (e.g. a temp dir under a symlinked /tmp) does not make every file look outside.
 */
export async function realRoot(root: string): Promise<string> {
  if (!isAbsolute(root)) throw new RenderError(`repository root must be an absolute path, got '${root}'`);
  try {
    return realpathSync(root);
  } catch (cause) {
    throw new RenderError(`repository root ${root} cannot be read`, { cause });
  }
}

/** True when `p` (absolute, normalised) is `root` or below it. */
export function isInside(rootReal: string, p: string): boolean {
  return p === rootReal || p.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
}

/** `/`-separated path of `abs` relative to the root, '' for the root itself. */
export function toRel(rootReal: string, abs: string): string {
  return relative(rootReal, abs).split(sep).join('/');
}

/** Joins repository-relative segments without leading `./` or slashes ('' stays ''). */
export function joinRel(...parts: string[]): string {
  const joined = posix.join(...parts.filter((p) => p !== ''));
  return joined === '.' ? '' : joined;
}

/**
 * Normalises a repository-relative path written by a user. Absolute paths and `..` escapes are
 * refused before touching the file system, so the error does not depend on what exists.
 * '' and '.' both mean the root.
 */
export function normaliseRelPath(p: string, what: string): string {
  if (p.includes('\0')) throw new PathEscapeError(what, 'path contains a NUL byte');
  if (isAbsolute(p) || posix.isAbsolute(p) || /^[A-Za-z]:[\\/]/u.test(p)) {
    throw new PathEscapeError(p, `${what} must be relative to the repository root`);
  }
  const n = posix.normalize(p === '' ? '.' : p).replace(/\/+$/u, '');
  if (n === '..' || n.startsWith('../')) {
    throw new PathEscapeError(p, `${what} leaves the repository`);
  }
  return n === '.' ? '' : n;
}

/**
 * Resolves a path relative to `baseRel` (repository-relative) component by component, refusing any
 * symlink on the way whose target is outside the root, and returns the real path. Missing
 * components raise a RenderError naming `what`; the caller decides whether the target must be a
 * file or a directory.
 */
export async function resolveConfined(rootReal: string, rel: string, what: string): Promise<string> {
  let cur = rootReal;
  const segments = rel === '' ? [] : rel.split('/');
  for (let i = 0; i < segments.length; i++) {
    const shown = segments.slice(0, i + 1).join('/');
    const next = join(cur, segments[i] ?? '');
    let info;
    try {
      info = lstatSync(next);
    } catch (cause) {
      throw new RenderError(`${what} does not exist`, { file: shown, cause });
    }
    if (info.isSymbolicLink()) {
      cur = await confinedRealpath(rootReal, next, shown);
    } else {
      cur = next;
    }
  }
  return cur;
}

/** Resolves the app path and checks that it is a directory inside the root. */
export async function resolveAppDir(rootReal: string, appPath: string): Promise<AppDir> {
  const rel = normaliseRelPath(appPath, 'app path');
  const abs = await resolveConfined(rootReal, rel, 'app path');
  const info = statSync(abs);
  if (!info.isDirectory()) throw new RenderError('app path is not a directory', { file: rel || '.' });
  return { abs, rel };
}

/**
 * The real path of the symlink `abs`, or PathEscapeError when it points outside the root. A
 * dangling link is judged by its literal target, so a link to a missing `/etc/x` is still refused
 * while a dangling link inside the repository is left for the reader to report.
 */
export async function confinedRealpath(rootReal: string, abs: string, shown: string): Promise<string> {
  let target: string;
  try {
    target = realpathSync(abs);
  } catch {
    target = resolve(dirname(abs), readlinkSync(abs));
  }
  if (!isInside(rootReal, target)) {
    throw new PathEscapeError(shown, 'symlink resolves outside the repository');
  }
  return target;
}
