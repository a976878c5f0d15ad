import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

/** A queue that records the keys it runs and holds the runs `hold` names until released. */
function recordingQueue(
  hold: (key: string, run: number) => boolean,
  concurrency = 1,
): {
  q: WorkQueue;
  seen: string[];
  release: () => void;
} {
  const seen: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const q = new WorkQueue({
    concurrency,
    handler: async (k) => {
      seen.push(k);
      if (hold(k, seen.length)) await gate;
    },
  });
  return { q, seen, release: () => release() };
}

describe('WorkQueue', () => {
  it('runs background keys only when no plain key waits; a plain add moves a background key forward', async () => {
    const { q, seen, release } = recordingQueue((k) => k === 'first');
    q.add('first');
    for (const k of ['b1', 'b2', 'b3', 'b4']) q.add(k, { background: true });
    q.add('drift');
    q.add('b3'); // its files changed: no longer background
    q.add('drift', { background: true }); // already waiting in front: stays there
    q.add('b1', { background: true }); // already waiting: not twice
    expect(q.length).toBe(5);
    release();
    await q.idle();
    expect(seen).toEqual(['first', 'drift', 'b3', 'b1', 'b2', 'b4']);
  });

  it('puts a delayed background add behind plain keys, and a plain delayed add of the same key ahead', async () => {
    const { q, seen, release } = recordingQueue((k) => k === 'first');
    const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
    q.add('first');
    q.addAfter('health', 1, { background: true });
    q.addAfter('op', 1, { background: true });
    q.addAfter('op', 5); // an operation awaits it: the due time stays, the lane is the plain one
    q.addAfter('sync', 3);
    await tick();
    expect(q.length).toBe(3);
    release();
    await q.idle();
    expect(seen).toEqual(['first', 'op', 'sync', 'health']);
  });

  it('lets background keys hold at most half the workers, so plain work starts at once', async () => {
    const running = new Set<string>();
    let maxBackground = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    const q = new WorkQueue({
      concurrency: 4,
      handler: async (k) => {
        started.push(k);
        running.add(k);
        maxBackground = Math.max(maxBackground, [...running].filter((r) => r.startsWith('bg')).length);
        if (k.startsWith('bg')) await gate;
        running.delete(k);
      },
    });
    for (let i = 0; i < 6; i++) q.add(`bg${i}`, { background: true });
    await new Promise((r) => setTimeout(r, 5));
    q.add('drift');
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(['bg0', 'bg1', 'drift']);
    release();
    await q.idle();
    expect(maxBackground).toBe(2);
    expect(started).toHaveLength(7);
  });

  it('starts no background key while a plain key runs', async () => {
    const { q, seen: started, release } = recordingQueue((k) => k === 'changed', 4);
    q.add('changed');
    q.add('bump', { background: true });
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(['changed']);
    release();
    await q.idle();
    expect(started).toEqual(['changed', 'bump']);
  });

  it('reruns a key added while it ran in the lane of its most urgent add', async () => {
    const { q, seen, release } = recordingQueue((_k, run) => run === 1);
    q.add('a');
    await new Promise((r) => setTimeout(r, 5));
    q.add('a', { background: true });
    q.add('bg', { background: true });
    q.add('a'); // a plain add while it runs: its rerun goes before waiting background work
    release();
    await q.idle();
    expect(seen).toEqual(['a', 'a', 'bg']);
  });

  it('tells the handler a run is periodic only when every add since the key last ran was a periodic one', async () => {
    const runs: [string, boolean][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      handler: async (k, run) => {
        runs.push([k, run.periodic]);
        if (runs.length === 3) await gate;
      },
    });
    const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
    q.add('poll', { periodic: true });
    await q.idle();
    q.addAfter('poll', 1, { periodic: true });
    await tick();
    await q.idle();
    // A plain add before the timer fires: the run it makes is not a periodic one.
    q.addAfter('mixed', 5, { periodic: true });
    q.add('mixed');
    await tick(2);
    // Added while it ran, first by a poll, then by an event: the rerun is not periodic either.
    q.add('mixed', { periodic: true });
    q.add('mixed');
    release();
    await q.idle();
    await tick();
    await q.idle();
    // A delayed plain add counts as a wake at once, even if an earlier poll timer runs the key first.
    q.addAfter('late', 2, { periodic: true });
    q.addAfter('late', 500);
    await tick();
    await q.idle();
    q.stop();
    expect(runs).toEqual([
      ['poll', true],
      ['poll', true],
      ['mixed', false],
      ['mixed', false],
      ['late', false],
    ]);
  });

  it('drops duplicate keys that are still waiting', async () => {
    const { q, seen, release } = recordingQueue((k) => k === 'a');
    q.add('a');
    q.add('b');
    q.add('b');
    q.add('c');
    release();
    await q.idle();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('never runs one key twice at once, and reruns a key added while it ran', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      concurrency: 4,
      handler: async () => {
        running++;
        runs++;
        maxRunning = Math.max(maxRunning, running);
        if (runs === 1) await gate;
        running--;
      },
    });
    q.add('k');
    await new Promise((r) => setTimeout(r, 5));
    q.add('k');
    q.add('k');
    release();
    await q.idle();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('caps concurrency across keys', async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue({
      concurrency: 2,
      handler: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      },
    });
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    await q.idle();
    expect(maxRunning).toBe(2);
  });

  it('reports handler errors without stopping', async () => {
    const errors: string[] = [];
    const done: string[] = [];
    const q = new WorkQueue({
      handler: async (k) => {
        if (k === 'bad') throw new Error('boom');
        done.push(k);
      },
      onError: (k) => errors.push(k),
    });
    q.add('bad');
    q.add('good');
    await q.idle();
    expect(errors).toEqual(['bad']);
    expect(done).toEqual(['good']);
  });

  it('holds a group to its limit and lets keys of other groups go ahead of it', async () => {
    const started: string[] = [];
    let release: () => void = () => undefined;
    const frozen = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      concurrency: 4,
      groupOf: (k) => k.split('/')[0],
      groupLimit: (g) => (g === 'frozen' ? 1 : 4),
      handler: async (k) => {
        started.push(k);
        if (k.startsWith('frozen/')) await frozen;
      },
    });
    for (let i = 0; i < 6; i++) q.add(`frozen/${i}`);
    for (let i = 0; i < 6; i++) q.add(`healthy/${i}`);
    // Every healthy key ran while five frozen keys waited behind the one that hangs.
    await new Promise((r) => setTimeout(r, 20));
    expect(started.filter((k) => k.startsWith('healthy/'))).toHaveLength(6);
    expect(started.filter((k) => k.startsWith('frozen/'))).toEqual(['frozen/0']);
    expect(q.runningIn('frozen')).toBe(1);
    release();
    await q.idle();
    expect(started).toHaveLength(12);
    expect(q.runningIn('frozen')).toBe(0);
  });
});
