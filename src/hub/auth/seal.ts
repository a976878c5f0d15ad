import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Seals small JSON values into opaque cookie strings with AES-256-GCM: the browser holds them but
 * can neither read nor alter them (a changed byte fails the tag). `purpose` is bound as associated
 * data, so a value sealed for one cookie (the sign-in attempt) is never accepted as another (the
 * session).
 */
export class Sealer {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the cookie sealing key must be 32 bytes');
    this.#key = key;
  }

  seal(purpose: string, value: unknown): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url');
  }

  /** The sealed value, or undefined for anything this key did not seal for `purpose`. */
  open(purpose: string, sealed: string | undefined): unknown {
    if (!sealed || sealed.length > 8192 || !/^[A-Za-z0-9_-]+$/u.test(sealed)) return undefined;
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 12 + 16 + 2) return undefined;
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      d.setAAD(Buffer.from(purpose));
      d.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }
}
