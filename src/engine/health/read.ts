/**
 * Typed readers over plain JSON objects. Assessors read live objects whose shape nobody has
 * validated, so every reader narrows `unknown` and answers `undefined` for a missing or wrongly
 * typed field instead of throwing: a malformed status must lower confidence, not crash a sync.
 */

/** True for a plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path` under `obj`, or `undefined` as soon as a step is missing or not an object. */
export function field(obj: unknown, ...path: string[]): unknown {
  let current: unknown = obj;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** The string at `path`; `undefined` when absent or not a string. */
export function str(obj: unknown, ...path: string[]): string | undefined {
  const value = field(obj, ...path);
  return typeof value === 'string' ? value : undefined;
}

/** The finite number at `path`; `undefined` when absent, not a number, or NaN/Infinity. */
export function num(obj: unknown, ...path: string[]): number | undefined {
  const value = field(obj, ...path);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The boolean at `path`; `undefined` when absent or not a boolean (so `"true"` is not `true`). */
export function bool(obj: unknown, ...path: string[]): boolean | undefined {
  const value = field(obj, ...path);
  return typeof value === 'boolean' ? value : undefined;
}

/** The array at `path`; an empty array when absent or not an array, so callers can iterate directly. */
export function list(obj: unknown, ...path: string[]): unknown[] {
  const value = field(obj, ...path);
  return Array.isArray(value) ? value : [];
}

/** One entry of a `status.conditions` list, as far as health needs it. */
export interface Condition {
  type: string;
  /** `True`, `False` or `Unknown` by API convention; kept as a string because controllers vary. */
  status: string;
  reason?: string;
  message?: string;
  /** The generation the condition was computed for, when the controller records it. */
  observedGeneration?: number;
}

/** Narrows one raw condition; `undefined` when it lacks a string `type` or `status`. */
export function toCondition(raw: unknown): Condition | undefined {
  const type = str(raw, 'type');
  const status = str(raw, 'status');
  if (type === undefined || status === undefined) return undefined;
  const condition: Condition = { type, status };
  const reason = str(raw, 'reason');
  const message = str(raw, 'message');
  const observedGeneration = num(raw, 'observedGeneration');
  if (reason !== undefined) condition.reason = reason;
  if (message !== undefined) condition.message = message;
  if (observedGeneration !== undefined) condition.observedGeneration = observedGeneration;
  return condition;
}

/** The well-formed conditions of `obj.status.conditions`; malformed entries are skipped. */
export function conditions(obj: unknown): Condition[] {
  const result: Condition[] = [];
  for (const raw of list(obj, 'status', 'conditions')) {
    const condition = toCondition(raw);
    if (condition) result.push(condition);
  }
  return result;
}

/** The first condition of `type` in `obj.status.conditions`, or `undefined`. */
export function condition(obj: unknown, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

/**
 * Milliseconds since the epoch of an RFC 3339 timestamp; `undefined` when absent or unparsable.
 * Only compares timestamps taken from the object itself, never the clock (assessors are pure).
 */
export function time(obj: unknown, ...path: string[]): number | undefined {
  const value = str(obj, ...path);
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
