/** Durations as Argo Rollouts and Flagger write them: `500ms`, `30s`, `5m`, `1h`, or a bare number of seconds. */
export function parseDuration(text: string | number, field: string): number {
  if (typeof text === 'number' && Number.isFinite(text) && text >= 0) return text * 1000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(text).trim());
  if (!m) throw new Error(`${field}: "${String(text)}" is not a duration (use 500ms, 30s, 5m or 1h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}
