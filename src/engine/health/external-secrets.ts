import type { KubeObject } from '../../kube/types.js';
import { condition } from './read.js';
import type { HealthResult } from './types.js';

/**
 * external-secrets.io ExternalSecret, ClusterExternalSecret, SecretStore and ClusterSecretStore:
 * all report one `Ready` condition. Ready=True is Healthy; Ready=False is Degraded (the provider
 * refused, the store is invalid, a key is missing: a wave must not go on with a Secret that is
 * not there); no Ready condition yet is Progressing (the operator has not reconciled it).
 */
export function externalSecretsHealth(obj: KubeObject): HealthResult {
  const ready = condition(obj, 'Ready');
  if (!ready || ready.status === 'Unknown') {
    return { status: 'Progressing', message: `${obj.kind}: waiting for the operator to report Ready` };
  }
  if (ready.status === 'True') return { status: 'Healthy' };
  return {
    status: 'Degraded',
    message: `${obj.kind}: ${ready.reason ? `${ready.reason}: ` : ''}${ready.message ?? 'not ready'}`,
  };
}
