/**
 * Runs kustomize and helm. Both read untrusted repositories, so every run is bounded: an argument
 * array (never a shell string), a wall-clock timeout, a cap on stdout, a scrubbed environment
 * built by the caller, cancellation through the caller's AbortSignal, and — always, whatever the
 * caller passes — the rlimits and network isolation of sandbox.ts.
 */
import { spawn } from 'node:child_process';

import { RenderError } from '../errors.js';
import type { ResourceLimits } from './sandbox.js';
import { DEFAULT_RESOURCE_LIMITS, NO_NETWORK_ENV, findExecutable, sandboxed } from './sandbox.js';

/** What bounds one renderer's tool run; filled from RenderOptions and their defaults. */
export interface ToolLimits {
  /** Path or name of the binary to run. */
  binary: string;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal | undefined;
  /** rlimits of the run; DEFAULT_RESOURCE_LIMITS when absent. */
  resources?: ResourceLimits | undefined;
}

/** One bounded tool run. */
export interface ToolRun {
  /** Tool name for messages: 'kustomize' or 'helm'. */
  tool: string;
  /** Path, or name looked up on this process's PATH, of the binary. */
  binary: string;
  args: readonly string[];
  cwd: string;
  /**
   * The complete environment; nothing of the parent's is inherited. NO_NETWORK_ENV is laid over
   * it. Renderers pass a PATH holding nothing, so the tool cannot run other programs (git).
   */
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal | undefined;
  /** rlimits of the run; DEFAULT_RESOURCE_LIMITS when absent. */
  resources?: ResourceLimits | undefined;
  /** Repository-relative file named by the errors this function raises. */
  file: string;
}

/** The outcome of a run that finished on its own; a non-zero `exitCode` is for the caller to judge. */
export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** stderr kept in memory; tools that fail print a few lines, anything more is noise. */
const STDERR_KEEP_BYTES = 64 * 1024;
/** How much of stderr goes into an error message (which ends up in a CR's status). */
export const STDERR_MESSAGE_BYTES = 2048;

/**
 * Runs the tool to completion in the sandbox. Resolves with its output even when it exits
 * non-zero; rejects with RenderError when the binary is missing (`render.ToolMissing`), the timeout
 * passes (`render.Timeout`), stdout exceeds the limit (`render.OutputTooLarge`), the signal aborts
 * (`render.Aborted`) — in those three cases the process group is killed with SIGKILL — or the tool
 * died of an rlimit (`render.ResourceLimit`).
 */
export async function runTool(run: ToolRun): Promise<ToolResult> {
  throwIfAborted(run.signal, run.file);
  const resources = run.resources ?? DEFAULT_RESOURCE_LIMITS;
  const binary = await findExecutable(run.binary, process.env.PATH ?? '');
  if (binary === undefined) throw toolMissing(run);
  const cmd = await sandboxed(binary, run.args, resources, run.file);
  throwIfAborted(run.signal, run.file);
  return await new Promise<ToolResult>((resolvePromise, reject) => {
    const child = spawn(cmd.file, cmd.args, {
      cwd: run.cwd,
      env: { ...run.env, ...NO_NETWORK_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      // Own process group, so a kill reaches the tool's children too (see `kill`).
      detached: true,
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let failure: RenderError | undefined;
    let settled = false;

    const finish = (outcome: { error: Error } | { result: ToolResult }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      if ('error' in outcome) reject(outcome.error);
      else resolvePromise(outcome.result);
    };
    // Stop the process and report `error` once it has exited; 'exit' rather than 'close' because a
    // grandchild (git under kustomize) could keep the pipes open. The child leads its own process
    // group, so the whole group is killed, and our pipe ends are closed so nothing keeps writing.
    const kill = (error: RenderError): void => {
      if (failure) return;
      failure = error;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const onAbort = (): void =>
      kill(
        new RenderError(`${run.tool} was cancelled`, {
          file: run.file,
          code: 'render.Aborted',
          cause: run.signal?.reason,
        }),
      );
    const timer = setTimeout(
      () =>
        kill(
          new RenderError(`${run.tool} did not finish within ${run.timeoutMs} ms`, {
            file: run.file,
            code: 'render.Timeout',
          }),
        ),
      run.timeoutMs,
    );
    run.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > run.maxOutputBytes) {
        kill(
          new RenderError(`${run.tool} output exceeds the limit of ${run.maxOutputBytes} bytes`, {
            file: run.file,
            code: 'render.OutputTooLarge',
          }),
        );
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderrBytes >= STDERR_KEEP_BYTES) return;
      stderr.push(chunk.subarray(0, STDERR_KEEP_BYTES - stderrBytes));
      stderrBytes += chunk.length;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        finish({ error: toolMissing(run, err) });
      } else {
        finish({
          error: new RenderError(`${run.tool} could not be started: ${err.message}`, {
            file: run.file,
            cause: err,
          }),
        });
      }
    });
    child.on('exit', () => {
      if (failure) finish({ error: failure });
    });
    child.on('close', (code, signal) => {
      if (failure) {
        finish({ error: failure });
        return;
      }
      const err = Buffer.concat(stderr).toString('utf8');
      const limit = resourceLimitHit(run, resources, code, signal, err);
      if (limit) finish({ error: limit });
      else
        finish({ result: { stdout: Buffer.concat(stdout).toString('utf8'), stderr: err, exitCode: code } });
    });
  });
}

function toolMissing(run: ToolRun, cause?: unknown): RenderError {
  return new RenderError(
    `${run.tool} binary '${run.binary}' is missing or not executable: run scripts/build-tools.sh ` +
      `(or set GITFLEET_${run.tool.toUpperCase()} to its path)`,
    { file: run.file, code: 'render.ToolMissing', cause },
  );
}

/**
 * `render.ResourceLimit` when the tool died of one of its rlimits, else undefined. We never send
 * SIGKILL/SIGXCPU ourselves without recording a failure first, so such a death is the kernel
 * enforcing RLIMIT_CPU (SIGXCPU at the soft limit, SIGKILL at the hard one). Go programs report
 * RLIMIT_DATA as "out of memory" and RLIMIT_FSIZE as "file too large" on stderr.
 */
function resourceLimitHit(
  run: ToolRun,
  limits: ResourceLimits,
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
): RenderError | undefined {
  const mib = (b: number): string => `${Math.round(b / (1024 * 1024))} MiB`;
  let what: string | undefined;
  if (signal === 'SIGXCPU') what = `its CPU-time limit of ${limits.cpuSeconds} s`;
  // The kernel sends SIGKILL at the hard CPU limit; a memory cgroup's OOM killer sends it too.
  else if (signal === 'SIGKILL')
    what = `its CPU-time limit of ${limits.cpuSeconds} s (or was killed by the system's OOM killer)`;
  else if (signal === 'SIGXFSZ' || (code !== 0 && /file too large/iu.test(stderr)))
    what = `its file-size limit of ${mib(limits.fileSizeBytes)}`;
  // errno=12 is ENOMEM: Go's "failed to create new OS thread" when a thread's memory is refused.
  else if (code !== 0 && /out of memory|cannot allocate memory|errno=12\b/iu.test(stderr))
    what = `its memory limit of ${mib(limits.memoryBytes)}`;
  else if (code !== 0 && goRuntimeNilFault(stderr))
    what = `its memory limit of ${mib(limits.memoryBytes)} (the Go runtime crashed on a failed allocation)`;
  if (what === undefined) return undefined;
  return new RenderError(`${run.tool} was stopped: it exceeded ${what}`, {
    file: run.file,
    code: 'render.ResourceLimit',
  });
}

/**
 * Whether a Go program died of a nil dereference inside its own runtime: either a fatal-signal
 * report from a system stack (`SIGSEGV: segmentation violation`, `PC=… addr=0x0`, first frame in
 * package runtime) or Go's "unexpected signal during runtime execution" at address 0. Go 1.26's
 * garbage collector does the first when a memory limit refuses it an allocation it does not check
 * (about 1 run in 50 of a billion-laughs kustomization under RLIMIT_DATA; the rest say "out of
 * memory"). A bug in the tool itself shows the tool's own frames or a Go panic instead.
 */
export function goRuntimeNilFault(stderr: string): boolean {
  // Go's exact formats, so no part of the match can backtrack over a long line.
  const t = stderr.trimStart();
  return (
    /^fatal error: unexpected signal during runtime execution\n\[signal SIG(?:SEGV|BUS): [a-z ]+ code=0x[0-9a-f]+ addr=0x0 pc=0x[0-9a-f]+\]\n/u.test(
      t,
    ) ||
    /^SIG(?:SEGV|BUS): [a-z ]+\nPC=0x[0-9a-f]+ m=\d+ sigcode=\d+ addr=0x0\n\ngoroutine [^\n]*\nruntime\./u.test(
      t,
    )
  );
}

/** The tool's stderr trimmed for a message: leading `Error: ` dropped, at most ~2 KB. */
export function stderrForMessage(stderr: string): string {
  const t = stderr.trim().replace(/^Error:\s*/u, '');
  if (t === '') return '(no error output)';
  return t.length > STDERR_MESSAGE_BYTES ? `${t.slice(0, STDERR_MESSAGE_BYTES)}… (truncated)` : t;
}

/**
 * Throws RenderError `render.Aborted` when the signal has fired. The signal's reason becomes the
 * cause, so a caller's non-Error reason never escapes as a throw.
 */
export function throwIfAborted(signal: AbortSignal | undefined, file?: string): void {
  if (signal?.aborted) {
    throw new RenderError('render was cancelled', { file, code: 'render.Aborted', cause: signal.reason });
  }
}

/**
 * The PATH given to renderers: a directory that does not exist, so a tool cannot start another
 * program by name (git for a remote base, a helm post-renderer or plugin).
 */
export const EMPTY_PATH = '/nonexistent/gitfleet-renderers-run-no-programs';
