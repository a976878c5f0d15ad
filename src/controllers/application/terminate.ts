import { applicationPath, TERMINATE_ANNOTATION, type Application } from '../../api/application.js';
import { GitfleetError } from '../../core/errors.js';
import type { KubeClient } from '../../kube/client.js';
import { KubeApiError } from '../../kube/errors.js';

/**
 * Asks the controller to stop an Application's running operation (`gitfleet app terminate` and
 * the hub's action): the operation is marked Terminating in status at once, and the annotation
 * both wakes the controller (status writes do not) and survives a status the controller rewrote
 * meanwhile. The controller's next reconcile ends the operation Failed "terminated"; what was
 * already applied stays applied and tracked. Refused with a clear error when nothing is running.
 */
export async function requestTerminate(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<{ requested: string; revision?: string }> {
  const path = applicationPath(namespace, name);
  const app = await client.request<Application>({ method: 'GET', path });
  const op = app.status?.operationState;
  if (op?.phase !== 'Running' && op?.phase !== 'Terminating')
    throw new GitfleetError(
      'operation.NotRunning',
      `${namespace}/${name} has no running operation to terminate (last: ${op ? `${op.phase} at ${op.revision?.slice(0, 12) ?? '?'}` : 'none'})`,
      { transient: false },
    );
  try {
    // Only a still-running operation turns Terminating: the test makes a finished one a no-op.
    await client.request({
      method: 'PATCH',
      path: `${path}/status`,
      body: [
        { op: 'test', path: '/status/operationState/phase', value: 'Running' },
        { op: 'replace', path: '/status/operationState/phase', value: 'Terminating' },
      ],
      contentType: 'application/json-patch+json',
    });
  } catch (e) {
    // It ended (or was already Terminating) between the read and the patch: the annotation decides.
    if (!(e instanceof KubeApiError && (e.status === 422 || e.status === 409))) throw e;
  }
  const requested = new Date().toISOString();
  await client.request({
    method: 'PATCH',
    path,
    body: { metadata: { annotations: { [TERMINATE_ANNOTATION]: requested } } },
    contentType: 'application/merge-patch+json',
  });
  return { requested, ...(op.revision ? { revision: op.revision } : {}) };
}
