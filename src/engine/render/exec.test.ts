import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { RenderError } from '../errors.js';
import type { ToolRun } from './exec.js';
import { STDERR_MESSAGE_BYTES, goRuntimeNilFault, runTool, stderrForMessage } from './exec.js';

const sh = (script: string, over: Partial<ToolRun> = {}): ToolRun => ({
  tool: 'sh',
  binary: '/bin/sh',
  args: ['-c', script],
  cwd: tmpdir(),
  env: { PATH: '/usr/bin:/bin' },
  timeoutMs: 10_000,
  maxOutputBytes: 1024 * 1024,
  file: 'app/kustomization.yaml',
  ...over,
});

/** True once `pid` no longer exists (polls for up to 3 s: the kill is asynchronous). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 60; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function renderError(p: Promise<unknown>): Promise<RenderError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof RenderError) return err;
  throw new Error(`expected a RenderError, got ${String(err)}`);
}

describe('runTool', () => {
  it('returns stdout, stderr and a non-zero exit code without throwing', async () => {
    const r = await runTool(sh('echo out; echo err >&2; exit 3'));
    expect(r).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
  });

  it('passes arguments verbatim, without a shell in between', async () => {
    const r = await runTool({ ...sh(''), binary: '/bin/echo', args: ['$HOME', '; rm -rf /', '`x`'] });
    expect(r.stdout).toBe('$HOME ; rm -rf / `x`\n');
  });

  it('kills a process that runs past the timeout', async () => {
    const started = Date.now();
    const err = await renderError(runTool(sh('exec sleep 30', { timeoutMs: 100 })));
    expect(err.code).toBe('render.Timeout');
    expect(err.file).toBe('app/kustomization.yaml');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("kills the tool's children too (its whole process group)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitfleet-exec-'));
    try {
      const pidFile = join(dir, 'pid');
      await renderError(runTool(sh(`sleep 30 & echo $! > '${pidFile}'; wait`, { timeoutMs: 300 })));
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      expect(pid).toBeGreaterThan(0);
      expect(await gone(pid)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kills a process whose stdout passes the limit', async () => {
    const started = Date.now();
    const err = await renderError(runTool(sh('exec yes gitfleet', { maxOutputBytes: 10_000 })));
    expect(err.code).toBe('render.OutputTooLarge');
    expect(err.message).toContain('10000 bytes');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('kills a running process when the signal aborts, keeping the reason as the cause', async () => {
    const ac = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => ac.abort(reason), 100);
    const err = await renderError(runTool(sh('exec sleep 30', { signal: ac.signal })));
    expect(err.code).toBe('render.Aborted');
    expect(err.cause).toBe(reason);
  });

  it('does not start when the signal has already fired', async () => {
    const err = await renderError(runTool(sh('echo started', { signal: AbortSignal.abort('no') })));
    expect(err.code).toBe('render.Aborted');
  });

  it('names a missing binary and the command that builds it', async () => {
    const err = await renderError(runTool({ ...sh(''), tool: 'helm', binary: '/nonexistent/helm' }));
    expect(err.code).toBe('render.ToolMissing');
    expect(err.message).toContain('run scripts/build-tools.sh');
    expect(err.message).toContain('GITFLEET_HELM');
  });
});

describe('stderrForMessage', () => {
  it('drops the leading "Error:", trims, and truncates long output', () => {
    expect(stderrForMessage('Error: accumulating resources\n')).toBe('accumulating resources');
    expect(stderrForMessage('  \n')).toBe('(no error output)');
    const long = stderrForMessage('x'.repeat(10_000));
    expect(long.length).toBeLessThan(STDERR_MESSAGE_BYTES + 20);
    expect(long.endsWith('(truncated)')).toBe(true);
  });
});

describe('goRuntimeNilFault', () => {
  // The head of what kustomize (Go 1.26) printed when its GC crashed under a 256 MiB RLIMIT_DATA.
  const gcCrash =
    'SIGSEGV: segmentation violation\nPC=0x436cfd m=2 sigcode=1 addr=0x0\n\n' +
    'goroutine 0 gp=0x26c47f156b40 m=2 mp=0x26c47f1b0808 [idle]:\n' +
    'runtime.(*spanQueue).tryDrain(0xa9aa0a9a00000800?, 0x26c48341e000?, 0x2c?)\n' +
    '\truntime/mgcmark_greenteagc.go:520 +0x5d fp=0x26c47f1cbd18 sp=0x26c47f1cbcf8 pc=0x436cfd\n';

  it('recognises a nil fault inside the Go runtime', () => {
    expect(goRuntimeNilFault(gcCrash)).toBe(true);
    expect(
      goRuntimeNilFault(
        'fatal error: unexpected signal during runtime execution\n' +
          '[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x436cfd]\n\n' +
          'goroutine 7 gp=0xc000102a80 m=3 mp=0xc000100008 [running]:\nruntime.throw(...)\n',
      ),
    ).toBe(true);
  });

  it('does not take a fault in the tool, at another address, or a Go panic for one', () => {
    expect(goRuntimeNilFault(gcCrash.replace('runtime.(*spanQueue)', 'sigs.k8s.io/kustomize/api.(*x)'))).toBe(
      false,
    );
    expect(goRuntimeNilFault(gcCrash.replace('addr=0x0', 'addr=0x7f00'))).toBe(false);
    expect(
      goRuntimeNilFault(
        'panic: runtime error: invalid memory address or nil pointer dereference\n' +
          '[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a2b1c]\n\n' +
          'goroutine 1 [running]:\nruntime.panicmem()\n',
      ),
    ).toBe(false);
  });
});
