import type { Condition } from '../../api/application.js';

/**
 * Sets or replaces the condition of `type`, keeping lastTransitionTime when the status did not
 * change (so watchers can tell how long a state has lasted).
 */
export function setCondition(
  conditions: Condition[] | undefined,
  c: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    ...c,
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function removeCondition(conditions: Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Exponential backoff for sync retries: duration × factor^attempt, capped. Durations like `5s`, `2m`. */
export function retryDelayMs(
  attempt: number,
  backoff: { duration?: string; factor?: number; maxDuration?: string } = {},
): number {
  const base = parseDuration(backoff.duration ?? '5s');
  const max = parseDuration(backoff.maxDuration ?? '3m');
  return Math.min(max, base * Math.pow(backoff.factor ?? 2, attempt));
}

/** Parses Go-style durations (`300ms`, `5s`, `2m`, `1h30m`); throws on anything else. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
    consumed += m[0].length;
  }
  if (consumed !== s.length || consumed === 0)
    throw new Error(`invalid duration "${s}" (expected e.g. 5s, 2m, 1h)`);
  return total;
}
