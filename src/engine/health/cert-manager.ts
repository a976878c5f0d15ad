import type { KubeObject } from '../../kube/types.js';
import { condition } from './read.js';
import type { HealthResult } from './types.js';

/**
 * cert-manager.io Certificate: `Issuing=True` means a (re)issuance is under way: Progressing, even
 * while the old certificate is still Ready. Then Ready=True is Healthy, Ready=False Degraded, and
 * no Ready condition Progressing.
 */
export function certificateHealth(obj: KubeObject): HealthResult {
  const issuing = condition(obj, 'Issuing');
  if (issuing?.status === 'True') {
    return {
      status: 'Progressing',
      message: `Certificate: issuing${issuing.message ? `: ${issuing.message}` : ''}`,
    };
  }
  return readyHealth(obj, 'waiting for the certificate to be issued');
}

/** cert-manager.io Issuer and ClusterIssuer: Ready=True Healthy, Ready=False Degraded, else Progressing. */
export function issuerHealth(obj: KubeObject): HealthResult {
  return readyHealth(obj, 'waiting for the issuer to be initialised');
}

function readyHealth(obj: KubeObject, waiting: string): HealthResult {
  const ready = condition(obj, 'Ready');
  if (ready?.status === 'True') return { status: 'Healthy' };
  if (ready?.status === 'False') {
    return { status: 'Degraded', message: `${obj.kind}: ${ready.message ?? ready.reason ?? 'not ready'}` };
  }
  return { status: 'Progressing', message: `${obj.kind}: ${waiting}` };
}
