import type { KubeObject } from '../../kube/types.js';
import { bool, list, time } from './read.js';
import type { HealthResult } from './types.js';

/**
 * Health of a `batch/CronJob`:
 * - `spec.suspend` is Suspended;
 * - a job that is running now is Progressing;
 * - otherwise, when the last scheduled run is newer than the last successful one (or there has
 *   never been a success), that run failed: Degraded;
 * - otherwise Healthy, including a CronJob that has never been scheduled yet.
 */
export function cronJobHealth(obj: KubeObject): HealthResult {
  if (bool(obj, 'spec', 'suspend') === true) {
    return { status: 'Suspended', message: 'CronJob is suspended' };
  }
  const active = list(obj, 'status', 'active').length;
  if (active > 0) {
    return { status: 'Progressing', message: `CronJob has ${active} running job${active === 1 ? '' : 's'}` };
  }
  const lastSchedule = time(obj, 'status', 'lastScheduleTime');
  const lastSuccess = time(obj, 'status', 'lastSuccessfulTime');
  // The controller only records successes, so a schedule newer than the last success with nothing
  // running means the last run ended without succeeding.
  if (lastSchedule !== undefined && (lastSuccess === undefined || lastSchedule > lastSuccess)) {
    return { status: 'Degraded', message: 'CronJob: the last scheduled job did not succeed' };
  }
  return { status: 'Healthy' };
}
