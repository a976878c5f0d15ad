/**
 * Runs the real `sops` binary: an argument array (never a shell string), the document on stdin,
 * keys in the environment (SOPS_AGE_KEY), nothing written to disk. The parent's environment is not
 * inherited: a hub's own cloud credentials or GnuPG home must never decide what a tenant's file
 * decrypts to.
 */
import { spawn } from 'node:child_process';

import { GitfleetError } from '../../core/errors.js';

/** How to find and bound the sops binary. */
export interface SopsOptions {
  /** Path or name (looked up on PATH) of sops; default `$GITFLEET_SOPS`, else `sops`. */
  binary?: string;
  /** Wall-clock limit of one run; default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SopsRun {
  args: readonly string[];
  stdin: string;
  /** Added to the minimal environment (PATH, HOME pointing nowhere). */
  env: Record<string, string>;
}

export interface SopsResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** The binary sops runs as: the option, `$GITFLEET_SOPS`, then `sops` on PATH. */
export function sopsBinary(opts: SopsOptions = {}): string {
  return opts.binary ?? process.env.GITFLEET_SOPS ?? 'sops';
}

/** A missing sops fails loudly, naming the command that installs it. */
export class SopsMissingError extends GitfleetError {
  constructor(binary: string) {
    super(
      'decrypt.ToolMissing',
      `sops not found (${binary}): build it with scripts/build-tools.sh sops and set GITFLEET_SOPS, or put sops on PATH`,
    );
  }
}

/** Runs sops once; resolves with its output whatever its exit code (the caller judges). */
export function runSops(run: SopsRun, opts: SopsOptions = {}): Promise<SopsResult> {
  const binary = sopsBinary(opts);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...run.args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', ...run.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Not the controller's working directory: no .sops.yaml there may change what sops does.
      cwd: '/',
      signal: opts.signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') reject(new SopsMissingError(binary));
      else reject(new GitfleetError('decrypt.Failed', `running sops: ${e.message}`, { transient: true }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: code,
      });
    });
    // sops may exit before reading everything (bad input); EPIPE then is not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(run.stdin);
  });
}
