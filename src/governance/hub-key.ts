/**
 * The hub's own secret key: what lets the hub tell what it wrote from what anyone else wrote into
 * the same place. API tokens the hub (or `gitfleet token create`) mints carry an HMAC of their
 * fields under this key, so a Secret that merely looks like a token (deployed by an Application,
 * say) is never an identity; the requester the hub writes on an Application is signed the same
 * way, so a hand-written annotation is never taken for an authenticated user.
 *
 * The key is 256 random bits in a Secret of the hub's namespace, made by whoever first needs it
 * (create, so two replicas racing end up with the one that won). Applications may never write the
 * hub's namespace (see the protected-resource rules), so only the hub and its admins hold it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { FLEET_NAMESPACE } from '../api/cluster.js';
import { isConflict } from '../kube/errors.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';

export const HUB_KEY_SECRET = 'gitfleet-hub-key';

interface KeySecret extends KubeObject {
  data?: Record<string, string>;
}

/** Signs and verifies short strings with the hub's key. */
export class HubKey {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length < 32) throw new Error('the hub key must hold at least 256 bits');
    this.#key = key;
  }

  /** A hex HMAC-SHA256 of the parts, each length-prefixed so no two part lists sign alike. */
  sign(...parts: string[]): string {
    const mac = createHmac('sha256', this.#key);
    for (const p of parts) mac.update(`${Buffer.byteLength(p)}:${p};`);
    return mac.digest('hex');
  }

  verify(signature: string | undefined, ...parts: string[]): boolean {
    if (!signature || !/^[0-9a-f]{64}$/u.test(signature)) return false;
    return timingSafeEqual(Buffer.from(signature, 'hex'), Buffer.from(this.sign(...parts), 'hex'));
  }
}

/** Reads the hub's key, making it first if it does not exist yet. */
export async function loadOrCreateHubKey(client: KubeClient, namespace = FLEET_NAMESPACE): Promise<HubKey> {
  const ref = { apiVersion: 'v1', kind: 'Secret', namespace, name: HUB_KEY_SECRET };
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await client.getOrUndefined<KeySecret>(ref);
    const b64 = found?.data?.key;
    if (b64) return new HubKey(Buffer.from(b64, 'base64'));
    try {
      await client.create<KeySecret>({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: HUB_KEY_SECRET, namespace, labels: { 'app.kubernetes.io/part-of': 'gitfleet' } },
        data: { key: randomBytes(32).toString('base64') },
      });
    } catch (e) {
      // Another replica made it first: read theirs on the next round.
      if (!isConflict(e)) throw e;
    }
  }
  throw new Error(`the hub key Secret ${namespace}/${HUB_KEY_SECRET} could not be read or made`);
}
