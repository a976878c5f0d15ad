import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The variable that gives this process V8's default heap sizing instead (`default`). */
export const HEAP_ENV = 'GITFLEET_HEAP';

/**
 * Makes V8 favour memory over speed in a long-running, mostly idle process (the hub, the agent):
 * the young generation keeps its initial size, and the heap is sized and collected for memory.
 *
 * Why: after a burst of allocation whose objects survive (loading the modules, a cold sync), V8
 * doubles the young generation's two semi-spaces up to 16 MiB each and keeps them for the rest of
 * the process's life, although an idle controller then allocates almost nothing. Measured on the
 * hub as bench/peers runs it (10 apps, idle; bench/peers/memory.ts): 32 MiB of new space holding
 * 3 MiB of live objects, a quarter of its RSS. With this: idle RSS 85 MiB instead of 112, and no
 * more hub CPU for the cold sync of those apps (1.9 s against 2.2 s, a loaded machine).
 *
 * `--max-semi-space-size` would say part of this directly, but V8 reads it only when the process
 * starts (node's command line or NODE_OPTIONS), and the hub must be small however it is started.
 * The growth factor and `--optimize-for-size` are read by V8 as it runs, so the process sets them
 * itself, first thing (before its modules load, which would already grow the young generation).
 * V8 rounds a growth factor below 2 up only on its command line.
 *
 * `GITFLEET_HEAP=default` keeps V8's defaults (a hub syncing thousands of apps at once may prefer
 * the CPU to the memory). Returns whether the settings were applied.
 */
export function favourSmallHeap(env: NodeJS.ProcessEnv = process.env): boolean {
  const mode = env[HEAP_ENV];
  if (mode === 'default') return false;
  if (mode !== undefined && mode !== '' && mode !== 'small')
    throw new Error(`${HEAP_ENV}=${mode}: expected "small" (the default) or "default"`);
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--optimize-for-size');
  return true;
}

/** The young generation's current size in bytes (what V8 has reserved for it, used or not). */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
