import { readFileSync, statSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';

export type Access = 'write' | 'read' | 'none';

/** The users file: re-read whenever it changes, so a test can refuse a user while the server runs. */
export interface UsersFile {
  users: Record<string, { password: string; access: Access }>;
}

export class Users {
  readonly #path: string;
  #mtimeMs = -1;
  #data: UsersFile = { users: {} };

  constructor(path: string) {
    this.#path = path;
  }

  /** The access of the user named by a Basic Authorization header; undefined when it does not authenticate. */
  authenticate(authorization: string | undefined): { user: string; access: Access } | undefined {
    if (!authorization?.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const entry = this.#load().users[user];
    if (!entry) return undefined;
    const a = Buffer.from(entry.password);
    const b = Buffer.from(password);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    return { user, access: entry.access };
  }

  #load(): UsersFile {
    const mtime = statSync(this.#path).mtimeMs;
    if (mtime !== this.#mtimeMs) {
      this.#data = JSON.parse(readFileSync(this.#path, 'utf8')) as UsersFile;
      this.#mtimeMs = mtime;
    }
    return this.#data;
  }
}
