/**
 * The sandbox every renderer child process runs in. kustomize and helm read untrusted repositories:
 * a billion-laughs YAML drove `kustomize build` to 14 GB, and a remote base or an HTTP file loader
 * reaches any URL the hub can reach. So each run gets, whatever its caller asked:
 *
 * - **rlimits** (prlimit(1) from util-linux, else `ulimit` of /bin/sh): data segment (Go's heap is
 *   private anonymous memory, which RLIMIT_DATA counts since Linux 4.7; address space would also
 *   count Go's PROT_NONE reservations), CPU seconds, size of any file written, open files, no core.
 * - **no network**: a fresh network namespace (unshare(1), with a user namespace when not root)
 *   where one can be made; in every case proxies pointing at a closed port, no `git` on PATH and
 *   `GIT_ALLOW_PROTOCOL` allowing nothing, so a remote base that slipped past the kustomization
 *   check still cannot be fetched.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

import { RenderError } from '../errors.js';

/** Limits of one child process. Every field is required: a missing limit is a bug, not "unlimited". */
export interface ResourceLimits {
  /** RLIMIT_DATA, bytes. */
  memoryBytes: number;
  /** RLIMIT_CPU, seconds of CPU time (the wall-clock timeout is separate). */
  cpuSeconds: number;
  /** RLIMIT_FSIZE, bytes: the largest file the tool may write (it needs none). */
  fileSizeBytes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
}

/**
 * Defaults: 2 GiB of heap is several times what large real charts and overlays use (measured in
 * docs/security/render.md); 60 s of CPU matches the default wall-clock timeout.
 */
export const DEFAULT_RESOURCE_LIMITS: Readonly<ResourceLimits> = Object.freeze({
  memoryBytes: 2 * 1024 * 1024 * 1024,
  cpuSeconds: 60,
  fileSizeBytes: 16 * 1024 * 1024,
  openFiles: 1024,
});

/**
 * Environment entries added to every tool's environment (they override the caller's): any proxy
 * lookup leads to a closed port, `no_proxy` exempts nothing, git may use no transport and reads no
 * system or global configuration.
 */
export const NO_NETWORK_ENV: Readonly<Record<string, string>> = Object.freeze({
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  ALL_PROXY: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  all_proxy: 'http://127.0.0.1:9',
  NO_PROXY: '',
  no_proxy: '',
  GIT_ALLOW_PROTOCOL: 'none',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
});

/** Where util-linux lives when this process's PATH is minimal. */
const SYSTEM_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];

/** The absolute path of an executable `name` on `pathEnv` (or `name` itself when it has a slash). */
export async function findExecutable(name: string, pathEnv: string): Promise<string | undefined> {
  const candidates = name.includes('/')
    ? [name]
    : pathEnv
        .split(delimiter)
        .filter((d) => d !== '' && isAbsolute(d))
        .map((d) => join(d, name));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

/** How rlimits are set and whether a network namespace can be made, found once per process. */
interface Wrappers {
  prlimit: string | undefined;
  /** unshare(1) arguments that give the child an empty network namespace, or undefined. */
  unshare: string[] | undefined;
}

let wrappers: Promise<Wrappers> | undefined;

function probeWrappers(): Promise<Wrappers> {
  wrappers ??= (async () => {
    const searchPath = [process.env.PATH ?? '', ...SYSTEM_DIRS].join(delimiter);
    const prlimit = await findExecutable('prlimit', searchPath);
    const unshareBin = await findExecutable('unshare', searchPath);
    let unshare: string[] | undefined;
    if (unshareBin) {
      // Root can make a network namespace directly; anyone else needs a user namespace for it.
      const attempts =
        process.getuid?.() === 0 ? [['--net'], ['--net', '--map-root-user']] : [['--net', '--map-root-user']];
      for (const a of attempts) {
        if (await exitsZero(unshareBin, [...a, '--', 'true'])) {
          unshare = [unshareBin, ...a, '--'];
          break;
        }
      }
    }
    return { prlimit, unshare };
  })();
  return wrappers;
}

function exitsZero(file: string, args: string[]): Promise<boolean> {
  return new Promise((res) => {
    const p = spawn(file, args, { stdio: 'ignore', env: { PATH: SYSTEM_DIRS.join(delimiter) } });
    p.on('error', () => res(false));
    p.on('close', (code) => res(code === 0));
  });
}

/** Whether runs get their own network namespace on this machine (for tests and docs). */
export async function networkIsolated(): Promise<boolean> {
  return (await probeWrappers()).unshare !== undefined;
}

/**
 * The command line that runs `binaryAbs args` under `limits` and without network: the file to
 * spawn and its arguments. `binaryAbs` must be absolute (the child's PATH holds nothing).
 * Throws RenderError `render.SandboxUnavailable` when no way to set rlimits exists.
 */
export async function sandboxed(
  binaryAbs: string,
  args: readonly string[],
  limits: ResourceLimits,
  file: string | undefined,
): Promise<{ file: string; args: string[] }> {
  checkLimits(limits);
  const w = await probeWrappers();
  const inner = [...(w.unshare ?? []), binaryAbs, ...args];
  if (w.prlimit) {
    const lim = (flag: string, v: number): string => `--${flag}=${v}:${v}`;
    return {
      file: w.prlimit,
      args: [
        lim('data', limits.memoryBytes),
        lim('cpu', limits.cpuSeconds),
        lim('fsize', limits.fileSizeBytes),
        lim('nofile', limits.openFiles),
        lim('core', 0),
        '--',
        ...inner,
      ],
    };
  }
  // POSIX sh: -d in KiB, -f in 512-byte blocks. The command comes in as "$@", never as shell text.
  const sh = await findExecutable('/bin/sh', '');
  if (sh) {
    const script =
      `ulimit -d ${Math.floor(limits.memoryBytes / 1024)} && ulimit -t ${limits.cpuSeconds} && ` +
      `ulimit -f ${Math.floor(limits.fileSizeBytes / 512)} && ulimit -n ${limits.openFiles} && ` +
      'ulimit -c 0 && exec "$@"';
    return { file: sh, args: ['-c', script, 'gitfleet-sandbox', ...inner] };
  }
  throw new RenderError(
    'cannot limit the resources of renderer processes: neither prlimit nor /bin/sh exists ' +
      '(install util-linux, e.g. `apt-get install util-linux` or `apk add util-linux`)',
    { file, code: 'render.SandboxUnavailable' },
  );
}

function checkLimits(l: ResourceLimits): void {
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new RangeError(`resource limit ${k} must be a positive integer, got ${String(v)}`);
  }
}
