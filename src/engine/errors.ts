import { GitfleetError } from '../core/errors.js';

/** Fetching or resolving a Git source failed. Network failures are transient; bad refs are not. */
export class SourceError extends GitfleetError {
  readonly repoUrl: string;
  constructor(
    repoUrl: string,
    message: string,
    opts: { cause?: unknown; transient?: boolean; code?: string } = {},
  ) {
    super(opts.code ?? 'source.Failed', `${redactUrl(repoUrl)}: ${message}`, opts);
    this.repoUrl = redactUrl(repoUrl);
  }
}

/** Rendering failed; names the file (relative to the repository root) and line when known. */
export class RenderError extends GitfleetError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(
    message: string,
    opts: { file?: string; line?: number; cause?: unknown; code?: string; transient?: boolean } = {},
  ) {
    const where = opts.file ? `${opts.file}${opts.line ? `:${opts.line}` : ''}: ` : '';
    // Bad input is not transient; a timeout or an abort may pass on retry.
    super(opts.code ?? 'render.Failed', `${where}${message}`, {
      cause: opts.cause,
      transient: opts.transient ?? false,
    });
    this.file = opts.file;
    this.line = opts.line;
  }
}

/** A path (symlink, `..`, absolute) would leave the repository. Never transient. */
export class PathEscapeError extends GitfleetError {
  constructor(path: string, why: string) {
    super('source.PathEscape', `${path}: ${why}`);
  }
}

/** A URL without its userinfo, safe for logs and status. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
