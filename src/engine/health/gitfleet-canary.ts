import type { KubeObject } from '../../kube/types.js';
import { field, list, num, str } from './read.js';
import type { HealthResult, HealthStatus } from './types.js';

const statuses = new Set<HealthStatus>(['Healthy', 'Progressing', 'Suspended', 'Degraded']);

/**
 * gitfleet.dev Canary (canary or blue/green), as the delivery controller reports it. The
 * controller writes the health itself (`status.health`: a pause waiting for a promote is Suspended,
 * as Argo Rollouts' paused Rollout is; a rollback is Degraded), so it is taken as written. The
 * message names the phase and the step (`index/count`, Argo Rollouts' form) and the canary weight,
 * so the Application says where its roll-out stands, not only that it is Progressing.
 */
export function gitfleetCanaryHealth(obj: KubeObject): HealthResult {
  const name = `Canary ${obj.metadata.name}`;
  const generation = num(obj, 'metadata', 'generation');
  const observed = num(obj, 'status', 'observedGeneration');
  const phase = str(obj, 'status', 'phase');
  if (!phase) return { status: 'Progressing', message: `${name}: waiting for the delivery controller` };
  if (generation !== undefined && observed !== undefined && observed < generation)
    return {
      status: 'Progressing',
      message: `${name}: waiting for the delivery controller to observe generation ${generation}`,
    };
  const written = str(obj, 'status', 'health') as HealthStatus | undefined;
  const status: HealthStatus = written && statuses.has(written) ? written : 'Progressing';
  const message = str(obj, 'status', 'message');
  const text = `${name} ${phase}${where(obj)}${message ? `: ${message}` : ''}`;
  // A stable Canary with nothing to say adds nothing to the app's message.
  if (status === 'Healthy' && (phase === 'Initialized' || phase === 'Succeeded')) return { status };
  return { status, message: text };
}

/** ` at step 2/5, weight 25%` for a canary; nothing for blue/green (it has no steps). */
function where(obj: KubeObject): string {
  if (field(obj, 'spec', 'strategy', 'canary') === undefined) return '';
  const steps = list(obj, 'spec', 'strategy', 'canary', 'steps').length;
  const step = num(obj, 'status', 'currentStep') ?? 0;
  const weight = num(obj, 'status', 'canaryWeight') ?? 0;
  return ` at step ${Math.min(step, steps)}/${steps}, weight ${weight}%`;
}
