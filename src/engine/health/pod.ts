import type { KubeObject } from '../../kube/types.js';
import { bool, condition, list, num, str } from './read.js';
import type { HealthResult } from './types.js';

/** Waiting reasons that will not clear on their own: the pod needs a fix, not patience. */
const failedWaitingReasons = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
]);

/** Container statuses of every kind (init, regular, ephemeral), init first as they run first. */
function containerStatuses(obj: KubeObject): unknown[] {
  return [
    ...list(obj, 'status', 'initContainerStatuses'),
    ...list(obj, 'status', 'containerStatuses'),
    ...list(obj, 'status', 'ephemeralContainerStatuses'),
  ];
}

/** The first container stuck in a failing waiting state, as a Degraded result. */
function stuckContainer(obj: KubeObject): HealthResult | undefined {
  for (const status of containerStatuses(obj)) {
    const reason = str(status, 'state', 'waiting', 'reason');
    if (reason === undefined || !failedWaitingReasons.has(reason)) continue;
    const name = str(status, 'name') ?? 'container';
    const detail = str(status, 'state', 'waiting', 'message');
    return { status: 'Degraded', message: `Pod container ${name}: ${reason}${detail ? `: ${detail}` : ''}` };
  }
  return undefined;
}

/** Why a failed pod failed: the pod's own message, else the first container that terminated badly. */
function failureMessage(obj: KubeObject): string {
  const message = str(obj, 'status', 'message');
  if (message) return message;
  for (const status of containerStatuses(obj)) {
    const exitCode = num(status, 'state', 'terminated', 'exitCode');
    const reason = str(status, 'state', 'terminated', 'reason');
    if (exitCode === undefined || exitCode === 0) continue;
    const name = str(status, 'name') ?? 'container';
    return `Pod container ${name} terminated: ${reason ?? 'Error'} (exit code ${exitCode})`;
  }
  return str(obj, 'status', 'reason') ?? 'Pod failed';
}

/** True when the pod reports regular containers and every one of them is ready. */
function allContainersReady(obj: KubeObject): boolean {
  const statuses = list(obj, 'status', 'containerStatuses');
  return statuses.length > 0 && statuses.every((s) => bool(s, 'ready') === true);
}

/**
 * Health of a core `Pod`:
 * - a container waiting on CrashLoopBackOff, an image pull failure or a bad container config is
 *   Degraded in any phase;
 * - `Succeeded` is Healthy, `Failed` is Degraded (with the pod's or container's reason),
 *   `Pending` is Progressing, `Unknown` (node lost) is Unknown;
 * - `Running` with `restartPolicy: Always` (the default) is Healthy once every container is ready,
 *   Progressing before that. A running pod with `OnFailure`/`Never` is meant to finish (a hook or a
 *   job's pod), so it stays Progressing until it Succeeds, as in Argo CD.
 */
export function podHealth(obj: KubeObject): HealthResult {
  const stuck = stuckContainer(obj);
  const phase = str(obj, 'status', 'phase');
  // A finished pod's last waiting state is history; its phase is the verdict.
  if (stuck && phase !== 'Succeeded' && phase !== 'Failed') return stuck;

  switch (phase) {
    case 'Succeeded':
      return { status: 'Healthy', message: str(obj, 'status', 'message') ?? 'Pod completed' };
    case 'Failed':
      return { status: 'Degraded', message: failureMessage(obj) };
    case 'Running': {
      const restartPolicy = str(obj, 'spec', 'restartPolicy') ?? 'Always';
      if (restartPolicy !== 'Always') return { status: 'Progressing', message: 'Pod is running' };
      if (allContainersReady(obj)) return { status: 'Healthy' };
      return { status: 'Progressing', message: 'Pod is running; waiting for containers to become ready' };
    }
    case 'Unknown':
      return { status: 'Unknown', message: str(obj, 'status', 'message') ?? 'Pod state is unknown' };
    default:
      // Pending, or no status yet: the scheduler or kubelet has not got to it.
      return { status: 'Progressing', message: pendingMessage(obj) };
  }
}

/** The most specific reason a pod is still pending. */
function pendingMessage(obj: KubeObject): string {
  const message = str(obj, 'status', 'message');
  if (message) return message;
  for (const status of containerStatuses(obj)) {
    const reason = str(status, 'state', 'waiting', 'reason');
    if (reason) return `Pod is pending: ${reason}`;
  }
  const scheduled = condition(obj, 'PodScheduled');
  if (scheduled?.status === 'False') {
    return `Pod is pending: ${scheduled.message ?? scheduled.reason ?? 'not scheduled'}`;
  }
  return 'Pod is pending';
}
