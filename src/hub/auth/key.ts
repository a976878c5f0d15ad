import { randomBytes } from 'node:crypto';
import type { HubKey } from '../../governance/hub-key.js';

/**
 * The key that seals session cookies. From the hub's key when there is one, so every replica
 * opens every replica's sessions and a restart keeps them; else random, and sessions end with the
 * process. Derived under its own label: a cookie key never signs anything the hub key signs.
 */
export function sessionKeyFrom(hubKey: HubKey | undefined): Buffer {
  return hubKey ? Buffer.from(hubKey.sign('gitfleet.dev/session-cookie-key/v1'), 'hex') : randomBytes(32);
}
