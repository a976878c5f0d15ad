import type { Application, DecryptionSpec } from '../../api/application.js';
import { DEFAULT_PROJECT_NAME } from '../../governance/default-project.js';
import { loadProject } from '../../governance/assess.js';
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
  opts: { controllerNamespace?: string; signal?: AbortSignal } = {},
): Promise<Manifest[]> {
  if (!needsDecryption(manifests)) return manifests;
  const keys = await keysOf(client, app, opts.controllerNamespace);
  return decryptManifests(manifests, { keys, ...(opts.signal ? { signal: opts.signal } : {}) });
}

/**
 * The keys of the Application's own `spec.decryption` (a Secret in its namespace), else of its
 * Project's (a Secret in the Project's namespace, the controller's: tenants can neither read nor
 * write it, and only apps the Project admits reach it). The Application's own wins, as in Flux
 * where the Kustomization's decryption is the only one. Undefined when neither sets one.
 */
async function keysOf(
  client: KubeClient,
  app: Application,
  controllerNamespace: string | undefined,
): Promise<DecryptionKeys | undefined> {
  if (app.spec.decryption) {
    return keysFrom(client, app.spec.decryption, app.metadata.namespace ?? '', 'spec.decryption');
  }
  if (controllerNamespace === undefined) return undefined;
  const projectName = app.spec.project ?? DEFAULT_PROJECT_NAME;
  const project = await loadProject(client, controllerNamespace, projectName);
  const d = project?.spec.decryption;
  if (!d) return undefined;
  return keysFrom(client, d, controllerNamespace, `Project ${projectName}: spec.decryption`);
}

async function keysFrom(
  client: KubeClient,
  d: DecryptionSpec,
  namespace: string,
  field: string,
): Promise<DecryptionKeys> {
  if (d.provider !== 'sops') {
    throw new GitfleetError(
      'decrypt.InvalidSpec',
      `${field}.provider: ${String(d.provider)} is not supported (only sops)`,
    );
  }
  const name = d.secretRef?.name;
  if (!name) throw new GitfleetError('decrypt.InvalidSpec', `${field}.secretRef.name: required`);
  const secret = await client.getOrUndefined<KubeObject>({
    apiVersion: 'v1',
    kind: 'Secret',
    namespace,
    name,
  });
  if (!secret) {
    throw new GitfleetError('decrypt.NoKeys', `${field}.secretRef: Secret ${namespace}/${name} not found`, {
      transient: true,
    });
  }
  return keysFromSecret(secret);
}
