import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The variable that keeps V8's default young generation (growing to 32 MiB) for this process. */
export const YOUNG_GENERATION_ENV = 'GITFLEET_YOUNG_GENERATION';

/**
 * Keeps V8's young generation (the "new space" where objects are first allocated) at its initial
 * size in a long-running, mostly idle process: the hub and the agent.
 *
 * Why: after a burst of allocation whose objects survive (a cold sync of the apps), V8 doubles the
 * two semi-spaces up to 16 MiB each and keeps them for the rest of the process's life, although an
 * idle controller then allocates almost nothing. Measured on the hub as bench/peers runs it
 * (10 apps, idle): 32 MiB of new space holding 3 MiB of live objects, a quarter of the hub's RSS;
 * with the growth stopped, idle RSS fell from 118 to 95 MiB (bench/peers/memory.ts, see
 * bench/README.md). The cost is more frequent, smaller scavenges during a burst.
 *
 * `--max-semi-space-size` would say this directly, but V8 reads it only when the process starts
 * (node's command line or NODE_OPTIONS), and the hub must be small however it is started. The
 * growth factor is read by V8 at each growth, so the process can set it itself; V8 refuses a
 * factor below 2 only on its command line, where 1 is rounded up.
 *
 * `GITFLEET_YOUNG_GENERATION=default` keeps V8's behaviour (a hub syncing thousands of apps at
 * once may prefer the CPU to the memory). Returns whether the growth was stopped.
 */
export function keepYoungGenerationSmall(env: NodeJS.ProcessEnv = process.env): boolean {
  const mode = env[YOUNG_GENERATION_ENV];
  if (mode === 'default') return false;
  if (mode !== undefined && mode !== '' && mode !== 'small')
    throw new Error(`${YOUNG_GENERATION_ENV}=${mode}: expected "small" (the default) or "default"`);
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}

/** The young generation's current size in bytes (what V8 has reserved for it, used or not). */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
