import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { TOKEN_SECRET_LABEL } from '../api/agent.js';
import { FLEET_NAMESPACE } from '../api/cluster.js';
import { hashToken, type TokenSecret } from '../controllers/tokens.js';
import type { KubeClient } from '../kube/client.js';
import { Informer } from '../kube/informer.js';
import { ADMIN_GROUP, type Principal } from './principal.js';

/** Verifies tokens that are not ours (OIDC ID tokens); undefined when it does not recognise one. */
export interface ExternalTokenVerifier {
  verify(token: string): Promise<Principal | undefined>;
}

/**
 * Turns a bearer token into a Principal: bootstrap admin tokens from the environment, user and
 * agent tokens whose SHA-256 is stored in Secrets of gitfleet-system (followed by watch, so a
 * rotated or deleted token stops working within a second), then an optional external verifier.
 */
export class TokenAuthenticator {
  readonly #bootstrap: Buffer[];
  readonly #informer: Informer | undefined;
  readonly #external: ExternalTokenVerifier | undefined;
  readonly #byHash = new Map<string, Principal>();
  readonly #hashOf = new Map<string, string>();

  constructor(opts: {
    client?: KubeClient;
    bootstrapTokens: string[];
    external?: ExternalTokenVerifier;
    log?: Logger;
  }) {
    this.#bootstrap = opts.bootstrapTokens.map((t) => Buffer.from(t));
    this.#external = opts.external;
    if (opts.client) {
      this.#informer = new Informer(opts.client, {
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: FLEET_NAMESPACE,
        labelSelector: `${TOKEN_SECRET_LABEL} in (api-token,agent-token)`,
      });
      this.#informer.on('event', (ev) => {
        if (ev.type === 'error') opts.log?.warn({ err: String(ev.error) }, 'token watch error');
        else if (ev.type === 'added' || ev.type === 'modified') this.#remember(ev.object as TokenSecret);
        else if (ev.type === 'deleted') this.#forget(ev.object.metadata.name);
      });
      this.#informer.start();
    }
  }

  stop(): void {
    this.#informer?.stop();
  }

  async authenticate(header: string | undefined): Promise<Principal | undefined> {
    if (!header?.startsWith('Bearer ')) return undefined;
    const token = header.slice(7).trim();
    const got = Buffer.from(token);
    if (this.#bootstrap.some((t) => t.length === got.length && timingSafeEqual(t, got)))
      return { kind: 'user', name: 'admin', groups: [ADMIN_GROUP] };
    if (this.#informer && !this.#informer.synced) await waitSynced(this.#informer, 5000);
    const stored = this.#byHash.get(hashToken(token));
    if (stored) return stored;
    return this.#external?.verify(token).catch(() => undefined);
  }

  // Kept per Secret from the watch events themselves (the informer's cache may lag its events).
  #remember(s: TokenSecret): void {
    this.#forget(s.metadata.name);
    const d = (k: string): string => Buffer.from(s.data?.[k] ?? '', 'base64').toString();
    const hash = d('tokenHash');
    if (!hash) return;
    let p: Principal | undefined;
    if (s.metadata.labels?.[TOKEN_SECRET_LABEL] === 'agent-token') {
      const cluster = d('cluster');
      if (cluster) p = { kind: 'agent', name: cluster, groups: [], cluster };
    } else {
      const user = d('user');
      const groups = d('groups')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      if (user) p = { kind: 'user', name: user, groups };
    }
    if (!p) return;
    this.#byHash.set(hash, p);
    this.#hashOf.set(s.metadata.name, hash);
  }

  #forget(secret: string): void {
    const old = this.#hashOf.get(secret);
    if (old) this.#byHash.delete(old);
    this.#hashOf.delete(secret);
  }
}

function waitSynced(inf: Informer, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      inf.off('event', on);
      resolve();
    }
    function on(ev: { type: string }): void {
      if (ev.type === 'synced') done();
    }
    inf.on('event', on);
  });
}
