/**
 * SOPS decryption (age keys; PGP and cloud KMS are later extensions). The engine decrypts rendered
 * manifests after the render cache, with keys read from a Secret the Application or its Project
 * references (Flux's `decryption: { provider: sops, secretRef }`); the plaintext lives only in the
 * returned manifests. See decrypt.ts for the shapes recognised and the errors raised.
 */
export {
  DecryptionError,
  decryptManifests,
  isSopsDocument,
  isSopsDotenvSecret,
  needsDecryption,
  recipientsOf,
} from './decrypt.js';
export type { DecryptOptions } from './decrypt.js';
export { keysFromSecret, type DecryptionKeys } from './keys.js';
export { runSops, sopsBinary, SopsMissingError, type SopsOptions } from './sops.js';
