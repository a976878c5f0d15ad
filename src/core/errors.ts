/**
 * The root of every error gitfleet throws. `code` is stable and machine-readable; `transient`
 * tells controllers whether retrying with backoff can help (true) or the input must change (false).
 */
export class GitfleetError extends Error {
  readonly code: string;
  readonly transient: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; transient?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.transient = options.transient ?? false;
  }
}
