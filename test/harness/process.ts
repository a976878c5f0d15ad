import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** How to start one long-running component of the harness. */
export interface ProcessSpec {
  /** Unique within a run; names the log file `<logDir>/<name>.log`. */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  logDir: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process the harness owns: stdout and stderr go to its log file, and it is killed by its
 * own PID when stopped, when this process exits, or at the next harness start if this process was
 * killed before it could clean up.
 */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  readonly exited: Promise<ProcessExit>;
  #child: ChildProcess;
  #exit: ProcessExit | undefined;

  constructor(spec: ProcessSpec) {
    mkdirSync(spec.logDir, { recursive: true });
    this.name = spec.name;
    this.logPath = join(spec.logDir, `${spec.name}.log`);
    const fd = openSync(this.logPath, 'a');
    try {
      this.#child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    if (this.#child.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
    this.pid = this.#child.pid;
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        live.delete(this);
        recordLive();
        resolve(this.#exit);
      });
      this.#child.once('error', () => {
        this.#exit ??= { code: null, signal: null };
        live.delete(this);
        recordLive();
        resolve(this.#exit);
      });
    });
    live.add(this);
    recordLive();
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** The last lines of the log, for error messages. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Resident memory in bytes (VmRSS), or 0 once the process is gone. */
  rssBytes(): number {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m?.[1] ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  }

  /** SIGKILL at once, as a crash or a lost node would; resolves when the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    signalPid(this.pid, 'SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    signalPid(this.pid, 'SIGTERM');
    const timer = setTimeout(() => signalPid(this.pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function startProcess(spec: ProcessSpec): ManagedProcess {
  return new ManagedProcess(spec);
}

/** Whether a PID names a live process (a zombie counts as gone). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

// ---- ownership records: every live child is written down, so nothing outlives a crash ----

const live = new Set<ManagedProcess>();
const stateDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gitfleet', 'harness-pids');
const ownFile = join(stateDir, `${process.pid}.json`);

interface PidRecord {
  pid: number;
  cmdline: string;
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function recordLive(): void {
  mkdirSync(stateDir, { recursive: true });
  if (live.size === 0) {
    rmSync(ownFile, { force: true });
    return;
  }
  const records: PidRecord[] = [...live].map((p) => ({ pid: p.pid, cmdline: cmdlineOf(p.pid) }));
  writeFileSync(ownFile, JSON.stringify(records));
}

/**
 * Kills processes left behind by an earlier harness whose owner died without cleaning up (for
 * example SIGKILL). A recorded PID is killed only if its command line is still the recorded one,
 * so a recycled PID is never touched. Returns the PIDs killed.
 */
export function reapOrphans(): number[] {
  const killed: number[] = [];
  let files: string[];
  try {
    files = readdirSync(stateDir);
  } catch {
    return killed;
  }
  for (const f of files) {
    const owner = Number(f.replace(/\.json$/, ''));
    if (!Number.isInteger(owner) || owner === process.pid || pidAlive(owner)) continue;
    let records: PidRecord[] = [];
    try {
      records = JSON.parse(readFileSync(join(stateDir, f), 'utf8')) as PidRecord[];
    } catch {
      // unreadable record: nothing we can safely kill
    }
    for (const r of records) {
      if (r.cmdline && pidAlive(r.pid) && cmdlineOf(r.pid) === r.cmdline) {
        signalPid(r.pid, 'SIGKILL');
        killed.push(r.pid);
      }
    }
    rmSync(join(stateDir, f), { force: true });
  }
  return killed;
}

/** PIDs of every child this process still owns. */
export function livePids(): number[] {
  return [...live].map((p) => p.pid);
}

/** Kills every owned child at once with SIGKILL (for signal handlers that cannot wait). */
export function killAllNow(): void {
  for (const p of live) signalPid(p.pid, 'SIGKILL');
  rmSync(ownFile, { force: true });
}

let hooked = false;
/**
 * Installs hooks that kill every owned child by PID when this process exits, and on SIGINT,
 * SIGTERM and SIGHUP unless the program handles those itself (`signals: false`). Idempotent.
 */
export function installExitHooks(opts: { signals?: boolean } = {}): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  if (opts.signals === false) return;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllNow();
      process.kill(process.pid, sig);
    });
  }
}
