import type { Application } from '../../api/application.js';
import { GitfleetError } from '../../core/errors.js';
import type { Manifest } from '../../engine/manifest.js';
import {
  decryptManifests,
  keysFromSecret,
  needsDecryption,
  type DecryptionKeys,
} from '../../engine/secrets/index.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';

/**
 * The prepare stage's decryption step: rendered manifests (ciphertext, as cached) in, manifests
 * with SOPS files decrypted out. Runs only when something is encrypted, so apps without SOPS
 * files read no Secret and run no sops. The keys are read from the management cluster on every
 * render (never cached here), so a rotated key Secret applies at the next reconcile.
 */
export async function decryptApp(
  client: KubeClient,
  app: Application,
  manifests: Manifest[],
  signal?: AbortSignal,
): Promise<Manifest[]> {
  if (!needsDecryption(manifests)) return manifests;
  const keys = await keysOf(client, app);
  return decryptManifests(manifests, { keys, ...(signal ? { signal } : {}) });
}

async function keysOf(client: KubeClient, app: Application): Promise<DecryptionKeys | undefined> {
  const d = app.spec.decryption;
  if (!d) return undefined;
  if (d.provider !== 'sops') {
    throw new GitfleetError(
      'decrypt.InvalidSpec',
      `spec.decryption.provider: ${String(d.provider)} is not supported (only sops)`,
    );
  }
  const name = d.secretRef?.name;
  if (!name) throw new GitfleetError('decrypt.InvalidSpec', 'spec.decryption.secretRef.name: required');
  const namespace = app.metadata.namespace ?? '';
  const secret = await client.getOrUndefined<KubeObject>({
    apiVersion: 'v1',
    kind: 'Secret',
    namespace,
    name,
  });
  if (!secret) {
    throw new GitfleetError(
      'decrypt.NoKeys',
      `spec.decryption.secretRef: Secret ${namespace}/${name} not found`,
      { transient: true },
    );
  }
  return keysFromSecret(secret);
}
