import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { TOKEN_SECRET_LABEL } from '../api/agent.js';
import { FLEET_NAMESPACE } from '../api/cluster.js';
import { hashToken, verifyToken, type TokenSecret } from '../controllers/tokens.js';
import { loadOrCreateHubKey, type HubKey } from '../governance/hub-key.js';
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
 * A token Secret counts only when its `signature` verifies under the hub's key: the label and
 * fields alone can be written by anyone who can create a Secret there, the hub's key cannot.
 */
export class TokenAuthenticator {
  readonly #bootstrap: Buffer[];
  readonly #informer: Informer | undefined;
  readonly #external: ExternalTokenVerifier | undefined;
  readonly #byHash = new Map<string, Principal>();
  readonly #hashOf = new Map<string, string>();
  readonly #log: Logger | undefined;
  #key: HubKey | undefined;
  #stopped = false;

  /** `hubKey`: the hub's signing key; read (or made) with `client` when absent. */
  constructor(opts: {
    client?: KubeClient;
    bootstrapTokens: string[];
    external?: ExternalTokenVerifier;
    hubKey?: HubKey;
    log?: Logger;
  }) {
    this.#bootstrap = opts.bootstrapTokens.map((t) => Buffer.from(t));
    this.#external = opts.external;
    this.#log = opts.log;
    this.#key = opts.hubKey;
    if (opts.client) {
      const client = opts.client;
      this.#informer = new Informer(client, {
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
      // The watch starts once the key is known: every Secret it delivers is checked with it.
      const informer = this.#informer;
      if (this.#key) informer.start();
      else void this.#loadKeyThenWatch(client, informer);
    }
  }

  async #loadKeyThenWatch(client: KubeClient, informer: Informer): Promise<void> {
    for (let delay = 500; !this.#stopped; delay = Math.min(delay * 2, 10_000)) {
      try {
        this.#key = await loadOrCreateHubKey(client);
        if (!this.#stopped) informer.start();
        return;
      } catch (e) {
        this.#log?.error(
          { err: e instanceof Error ? e.message : String(e) },
          'hub key unavailable: only bootstrap tokens work until it is',
        );
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  stop(): void {
    this.#stopped = true;
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
    const kind = s.metadata.labels?.[TOKEN_SECRET_LABEL] === 'agent-token' ? 'agent-token' : 'api-token';
    const cluster = kind === 'agent-token' ? d('cluster') : '';
    const user = kind === 'api-token' ? d('user') : '';
    const groupList = kind === 'api-token' ? d('groups') : '';
    const signed =
      this.#key !== undefined &&
      verifyToken(this.#key, d('signature'), { tokenHash: hash, kind, user, groups: groupList, cluster });
    if (!signed) {
      // Named, never shown: the Secret may be an attack, and its data is nobody's business.
      this.#log?.warn(
        { secret: `${s.metadata.namespace ?? FLEET_NAMESPACE}/${s.metadata.name}` },
        'ignoring a token Secret the hub did not sign (a look-alike, or minted before tokens were signed: re-issue it)',
      );
      return;
    }
    let p: Principal | undefined;
    if (kind === 'agent-token') {
      if (cluster) p = { kind: 'agent', name: cluster, groups: [], cluster };
    } else if (user) {
      const groups = groupList
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      p = { kind: 'user', name: user, groups };
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
