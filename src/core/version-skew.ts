import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * gitfleet's own version: package.json above this file (src/ through tsx, dist/src/ built, /app in
 * the image). Shared by the CLI (`gitfleet version`) and the hub (the agent skew check).
 */
export function gitfleetVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'gitfleet' && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

const parse = (v: string): [number, number] | undefined => {
  const m = /^v?(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
};

/**
 * The version skew gitfleet supports between the hub and an agent: the same major, minors at most
 * one apart (an agent one minor behind keeps working while the fleet is upgraded). Returns why a
 * pair is outside it, or undefined when it is within.
 */
export function skewProblem(hub: string, agent: string): string | undefined {
  const h = parse(hub);
  const a = parse(agent);
  if (!h || !a) return `cannot compare "${agent}" with hub "${hub}"`;
  if (h[0] !== a[0]) return `major version ${a[0]} differs from the hub's ${h[0]}`;
  if (Math.abs(h[1] - a[1]) > 1) return `minor versions ${a[1]} and ${h[1]} are more than one apart`;
  return undefined;
}

/**
 * Why the hub refuses an agent of `agent` version, or undefined. Only versions that parse are
 * judged: a development build (no x.y) is let through, as is an agent that names none.
 */
export function agentSkewRefusal(hub: string, agent: string | undefined): string | undefined {
  if (!agent || !parse(agent) || !parse(hub)) return undefined;
  const why = skewProblem(hub, agent);
  return why
    ? `agent version ${agent} is outside the supported skew with hub ${hub} (same major, minors at most one apart): ${why}; upgrade the agent`
    : undefined;
}
