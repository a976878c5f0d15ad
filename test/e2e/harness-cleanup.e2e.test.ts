import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidAlive, reapOrphans } from '../harness/process.js';
import { repoRoot } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

/** Starts a fleet in a child process and resolves with the PIDs it reported. */
function startChild(mode: 'stop' | 'wait'): Promise<{ child: ReturnType<typeof spawn>; pids: number[] }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test/harness/fixtures-fleet-child.ts'), mode],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, pids: (JSON.parse(line) as { pids: number[] }).pids });
    });
    child.once('exit', (code) =>
      reject(new Error(`fleet child exited ${code} before reporting PIDs:\n${err}`)),
    );
  });
}

const exited = (child: ReturnType<typeof spawn>): Promise<void> =>
  new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
  );

describe('harness clean-up', () => {
  it('leaves no process behind after teardown', async () => {
    const { child, pids } = await startChild('stop');
    await exited(child);
    expect(pids.length).toBe(6); // etcd, Git server, kube-apiserver, controller-manager, scheduler, kwok
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it('kills every process when the run is interrupted (SIGTERM)', async () => {
    const { child, pids } = await startChild('wait');
    expect(pids.filter(pidAlive)).toEqual(pids);
    child.kill('SIGTERM');
    await exited(child);
    await waitFor('harness processes to exit', () => pids.filter(pidAlive).length === 0, {
      timeoutMs: 10_000,
    });
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it('reaps the processes of a run that was SIGKILLed, on the next start', async () => {
    const { child, pids } = await startChild('wait');
    child.kill('SIGKILL');
    await exited(child);
    // Nothing could run in the killed process: its children are orphans now.
    expect(pids.filter(pidAlive)).toEqual(pids);
    const reaped = reapOrphans();
    expect(reaped.sort()).toEqual([...pids].sort());
    await waitFor('orphans to die', () => pids.filter(pidAlive).length === 0, { timeoutMs: 10_000 });
  });
});
