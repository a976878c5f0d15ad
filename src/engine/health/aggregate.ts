import { isWorse } from './order.js';
import type { HealthResult } from './types.js';

/**
 * The health of a group of objects: the worst defined result, with the message of the first
 * result that has that status. `undefined` entries (objects without health) are ignored, so a
 * group of only such objects, or an empty group, is `Healthy` without a message.
 */
export function aggregateHealth(results: (HealthResult | undefined)[]): HealthResult {
  let result: HealthResult = { status: 'Healthy' };
  let seen = false;
  for (const r of results) {
    if (r === undefined) continue;
    // The first defined result always replaces the placeholder so a Healthy message is kept.
    if (!seen || isWorse(r.status, result.status)) result = r;
    seen = true;
  }
  return result.message === undefined
    ? { status: result.status }
    : { status: result.status, message: result.message };
}
