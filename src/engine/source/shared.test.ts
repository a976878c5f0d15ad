import { describe, expect, it } from 'vitest';
import { SharedTasks } from './shared.js';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve: (v: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const aborted = (): Error => new Error('aborted');

describe('SharedTasks', () => {
  it('runs one task per key and gives every concurrent caller its result', async () => {
    const tasks = new SharedTasks<number>();
    const gate = deferred<number>();
    let starts = 0;
    const start = (): Promise<number> => {
      starts += 1;
      return gate.promise;
    };
    const a = tasks.run('k', start, undefined, aborted);
    const b = tasks.run('k', start, new AbortController().signal, aborted);
    const other = tasks.run('other', () => Promise.resolve(7), undefined, aborted);
    expect(tasks.has('k')).toBe(true);
    gate.resolve(42);
    expect(await Promise.all([a, b, other])).toEqual([42, 42, 7]);
    expect(starts).toBe(1);
    expect(tasks.has('k')).toBe(false);
  });

  it('lets one caller give up without cancelling the task for the others', async () => {
    const tasks = new SharedTasks<string>();
    const gate = deferred<string>();
    let taskSignal: AbortSignal | undefined;
    const start = (signal: AbortSignal): Promise<string> => {
      taskSignal = signal;
      return gate.promise;
    };
    const quitter = new AbortController();
    const q = tasks.run('k', start, quitter.signal, aborted);
    const stayer = tasks.run('k', start, new AbortController().signal, aborted);
    quitter.abort();
    await expect(q).rejects.toThrow('aborted');
    expect(taskSignal?.aborted).toBe(false);
    gate.resolve('done');
    expect(await stayer).toBe('done');
  });

  it('cancels the task when every caller has given up, and starts afresh for the next one', async () => {
    const tasks = new SharedTasks<string>();
    const signals: AbortSignal[] = [];
    const start = (signal: AbortSignal): Promise<string> => {
      signals.push(signal);
      return new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('task cancelled')));
        if (signals.length > 1) resolve('second');
      });
    };
    const c = new AbortController();
    const first = tasks.run('k', start, c.signal, aborted);
    c.abort();
    await expect(first).rejects.toThrow('aborted');
    expect(signals[0]?.aborted).toBe(true);
    expect(await tasks.run('k', start, undefined, aborted)).toBe('second');
  });

  it('passes a task failure to every caller', async () => {
    const tasks = new SharedTasks<string>();
    const failing = (): Promise<string> => Promise.reject(new Error('boom'));
    const a = tasks.run('k', failing, undefined, aborted);
    const b = tasks.run('k', failing, new AbortController().signal, aborted);
    await expect(a).rejects.toThrow('boom');
    await expect(b).rejects.toThrow('boom');
  });

  it('refuses at once when the caller signal is already aborted', async () => {
    const tasks = new SharedTasks<string>();
    let started = false;
    const c = new AbortController();
    c.abort();
    await expect(
      tasks.run(
        'k',
        () => {
          started = true;
          return Promise.resolve('x');
        },
        c.signal,
        aborted,
      ),
    ).rejects.toThrow('aborted');
    expect(started).toBe(false);
  });
});
