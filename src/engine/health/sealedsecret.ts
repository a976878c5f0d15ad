import type { KubeObject } from '../../kube/types.js';
import { condition, num } from './read.js';
import type { HealthResult } from './types.js';

/**
 * bitnami.com/SealedSecret: the controller reports `Synced=True` once it has unsealed the Secret,
 * `Synced=False` (with the reason, e.g. "no key could decrypt secret") when it cannot. Until the
 * controller has observed the current generation, or before it wrote any condition, Progressing.
 */
export function sealedSecretHealth(obj: KubeObject): HealthResult {
  const generation = num(obj, 'metadata', 'generation');
  const observed = num(obj, 'status', 'observedGeneration');
  const synced = condition(obj, 'Synced');
  if (!synced || (generation !== undefined && observed !== undefined && observed < generation)) {
    return { status: 'Progressing', message: 'SealedSecret: waiting for the controller to unseal it' };
  }
  if (synced.status === 'True') return { status: 'Healthy' };
  if (synced.status === 'False') {
    return {
      status: 'Degraded',
      message: `SealedSecret: ${synced.message ?? synced.reason ?? 'not unsealed'}`,
    };
  }
  return { status: 'Progressing', message: 'SealedSecret: waiting for the controller to unseal it' };
}
