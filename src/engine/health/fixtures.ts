/**
 * Test fixtures built in code. Used only by the `*.test.ts` files of this folder.
 */
import type { KubeObject, ObjectMeta } from '../../kube/types.js';

/** Parts of an object a fixture may set; metadata is merged over `{ name: 'x', namespace: 'ns' }`. */
export interface FixtureParts {
  metadata?: Partial<ObjectMeta>;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** An object of `apiVersion`/`kind` with the given parts; absent parts stay absent. */
export function makeObject(apiVersion: string, kind: string, parts: FixtureParts = {}): KubeObject {
  const obj: KubeObject = { apiVersion, kind, metadata: { name: 'x', namespace: 'ns', ...parts.metadata } };
  if (parts.spec) obj.spec = parts.spec;
  if (parts.status) obj.status = parts.status;
  return obj;
}

/** A status condition. */
export function cond(
  type: string,
  status: string,
  reason?: string,
  message?: string,
): Record<string, unknown> {
  return {
    type,
    status,
    ...(reason === undefined ? {} : { reason }),
    ...(message === undefined ? {} : { message }),
  };
}
