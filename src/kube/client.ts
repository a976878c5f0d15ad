import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { GitfleetError } from '../core/errors.js';
import { formatObjectRef, type ObjectRef } from '../core/object-ref.js';
import type { ClusterConnection } from './kubeconfig.js';
import { KubeApiError, KubeConnectionError, isNotFound } from './errors.js';
import type { KubeList, KubeObject, KubeStatus } from './types.js';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
  signal?: AbortSignal;
  /** Per-request timeout; default the client's `requestTimeoutMs` (30 s). Watches pass 0 (none). */
  timeoutMs?: number;
  /** Extra headers, e.g. an Accept asking for PartialObjectMetadata. */
  headers?: Record<string, string>;
}

/** Where a kind lives in the API: found by discovery. */
export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface ApplyOptions {
  /** Field manager recorded in managedFields; gitfleet's own default is `gitfleet`. */
  fieldManager: string;
  /** Take ownership of fields another manager holds (server-side apply `force`). Default false. */
  force?: boolean;
  /** Server-side dry run: the API answers with the object as it would be, and stores nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Responses larger than this are refused: a list that big means a selector is missing. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/**
 * A thin dynamic client: any kind by apiVersion/kind, resolved through discovery. Requests take an
 * AbortSignal; errors are KubeApiError (the API answered) or KubeConnectionError (it did not).
 */
export class KubeClient {
  readonly server: string;
  readonly #conn: ClusterConnection;
  readonly #agent: http.Agent;
  readonly #resources: Map<string, ResourceInfo>;
  readonly #discovered: Set<string>;
  /** The user this client acts as (`Impersonate-User`); undefined for the connection's own identity. */
  readonly impersonatedUser: string | undefined;
  readonly #impersonators = new Map<string, KubeClient>();
  /** Requests sent, by HTTP method (watches count as GET): for metrics and benchmarks. */
  readonly requestCounts: Record<string, number>;
  /** Shared with impersonating clients, so one setting covers every identity on this connection. */
  readonly #timeouts: { requestMs: number };

  /**
   * `base` and `user` are for `impersonating()` only: the new client shares the base's connection
   * pool, discovery cache and request counts, and adds the Impersonate-User header.
   */
  constructor(conn: ClusterConnection, base?: KubeClient, user?: string) {
    this.server = conn.server;
    this.#conn = conn;
    this.impersonatedUser = user;
    this.#resources = base ? base.#resources : new Map();
    this.#discovered = base ? base.#discovered : new Set();
    this.requestCounts = base ? base.requestCounts : {};
    this.#timeouts = base ? base.#timeouts : { requestMs: DEFAULT_TIMEOUT_MS };
    this.#agent = base
      ? base.#agent
      : conn.server.startsWith('https:')
        ? new https.Agent({
            keepAlive: true,
            ...tlsOptions(conn),
            rejectUnauthorized: conn.rejectUnauthorized,
          })
        : new http.Agent({ keepAlive: true });
  }

  /**
   * A client that acts as `user` (e.g. `system:serviceaccount:ns:name`) through the
   * Impersonate-User header, so the API server's RBAC judges every request as that user. It shares
   * this client's connections and discovery cache; one client per user is kept and reused. The
   * connection's own identity needs the `impersonate` verb on that user.
   */
  impersonating(user: string): KubeClient {
    let c = this.#impersonators.get(user);
    if (!c) {
      c = new KubeClient(this.#conn, this, user);
      this.#impersonators.set(user, c);
    }
    return c;
  }

  /**
   * How long a request that sets no `timeoutMs` may take, connecting included; default 30 s.
   * Clients of managed clusters use less: a cluster that accepts connections and never answers
   * must not hold a caller (a shared worker) for long.
   */
  get requestTimeoutMs(): number {
    return this.#timeouts.requestMs;
  }

  set requestTimeoutMs(ms: number) {
    this.#timeouts.requestMs = ms;
  }

  /** Closes pooled connections (shared with impersonating clients). */
  close(): void {
    this.#agent.destroy();
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    const res = await this.#send(spec);
    const body = await readBody(res, MAX_RESPONSE_BYTES);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      throw new KubeApiError(`${spec.method} ${spec.path}`, status, parseStatus(body));
    }
    if (!body.length) return undefined as T;
    // Health endpoints (/readyz, /livez) answer text, everything else JSON.
    const json = String(res.headers['content-type'] ?? '').includes('json');
    return (json ? JSON.parse(body.toString('utf8')) : body.toString('utf8')) as T;
  }

  /**
   * Streams watch events until the signal aborts or the server closes the stream. An `ERROR`
   * event (such as 410 Gone) is yielded, not thrown: the caller decides to relist.
   */
  async *watch<T = KubeObject>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    signal: AbortSignal,
    headers?: Record<string, string>,
  ): AsyncGenerator<WatchEvent<T>> {
    const res = await this.#send({
      headers,
      method: 'GET',
      path,
      query: { ...query, watch: true },
      signal,
      timeoutMs: 0,
    });
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      throw new KubeApiError(`WATCH ${path}`, status, parseStatus(await readBody(res, 1 << 20)));
    }
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) yield JSON.parse(line) as WatchEvent<T>;
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      throw new KubeConnectionError(this.server, e);
    } finally {
      res.destroy();
    }
  }

  /** Finds plural and scope of a kind; re-reads discovery once on a miss (a CRD may be new). */
  async resource(apiVersion: string, kind: string, signal?: AbortSignal): Promise<ResourceInfo> {
    const key = `${apiVersion}/${kind}`;
    const hit = this.#resources.get(key);
    if (hit) return hit;
    await this.#discover(apiVersion, signal);
    const found = this.#resources.get(key);
    if (!found) {
      throw new GitfleetError(
        'kube.UnknownKind',
        `the API at ${this.server} has no kind ${kind} in ${apiVersion}`,
      );
    }
    return found;
  }

  /** Forgets discovery results, for example after CRDs were installed or removed. */
  invalidateDiscovery(): void {
    this.#resources.clear();
    this.#discovered.clear();
  }

  /** The collection path of a kind (in a namespace when it is namespaced and one is given). */
  async collectionPath(
    apiVersion: string,
    kind: string,
    namespace?: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const r = await this.resource(apiVersion, kind, signal);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return r.namespaced && namespace
      ? `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`
      : `${base}/${r.plural}`;
  }

  async objectPath(ref: ObjectRef, signal?: AbortSignal): Promise<string> {
    const r = await this.resource(ref.apiVersion, ref.kind, signal);
    if (r.namespaced && !ref.namespace) {
      throw new GitfleetError(
        'kube.NamespaceRequired',
        `${formatObjectRef(ref)}: ${ref.kind} is namespaced but no namespace was given`,
      );
    }
    return `${await this.collectionPath(ref.apiVersion, ref.kind, r.namespaced ? ref.namespace : undefined, signal)}/${encodeURIComponent(ref.name)}`;
  }

  async get<T = KubeObject>(ref: ObjectRef, signal?: AbortSignal): Promise<T> {
    return this.request<T>({ method: 'GET', path: await this.objectPath(ref, signal), signal });
  }

  /** Like get, but a missing object is `undefined` instead of an error. */
  async getOrUndefined<T = KubeObject>(ref: ObjectRef, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, signal);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async list<T = KubeObject>(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string; signal?: AbortSignal } = {},
  ): Promise<KubeList<T>> {
    const path = await this.collectionPath(apiVersion, kind, opts.namespace, opts.signal);
    return this.request<KubeList<T>>({
      method: 'GET',
      path,
      query: { labelSelector: opts.labelSelector },
      signal: opts.signal,
    });
  }

  async create<T extends KubeObject>(obj: T, signal?: AbortSignal): Promise<T> {
    const path = await this.collectionPath(obj.apiVersion, obj.kind, obj.metadata.namespace, signal);
    return this.request<T>({ method: 'POST', path, body: obj, signal });
  }

  /** Server-side apply. The object must carry apiVersion, kind and metadata.name. */
  async apply<T extends KubeObject>(obj: T, opts: ApplyOptions): Promise<T> {
    const path = await this.objectPath(refOf(obj), opts.signal);
    return this.request<T>({
      method: 'PATCH',
      path,
      query: {
        fieldManager: opts.fieldManager,
        force: opts.force || undefined,
        dryRun: opts.dryRun ? 'All' : undefined,
      },
      body: obj,
      contentType: 'application/apply-patch+yaml',
      signal: opts.signal,
    });
  }

  /**
   * Patches an object (named by ref, or by its API path) with a JSON merge patch (RFC 7386, the
   * default) or a JSON patch (RFC 6902: an array of operations, which can test a
   * resourceVersion or replace a whole field where a merge patch can only merge).
   */
  async patch<T = KubeObject>(
    target: ObjectRef | string,
    patch: unknown,
    opts: { type?: 'merge' | 'json'; subresource?: 'status'; signal?: AbortSignal } = {},
  ): Promise<T> {
    const base = typeof target === 'string' ? target : await this.objectPath(target, opts.signal);
    return this.request<T>({
      method: 'PATCH',
      path: opts.subresource ? `${base}/${opts.subresource}` : base,
      body: patch,
      contentType: opts.type === 'json' ? 'application/json-patch+json' : 'application/merge-patch+json',
      signal: opts.signal,
    });
  }

  /**
   * Replaces the whole status subresource. A merge patch cannot delete a key a newer status no
   * longer has (a cleared message, a finished soak), so the status is swapped as a whole. With
   * `resourceVersion`, the write fails with 409 when the object changed since it was read.
   */
  async replaceStatus<T = KubeObject>(
    target: ObjectRef | string,
    status: unknown,
    opts: { resourceVersion?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    return this.patch<T>(
      target,
      [
        ...(opts.resourceVersion
          ? [{ op: 'replace', path: '/metadata/resourceVersion', value: opts.resourceVersion }]
          : []),
        { op: 'add', path: '/status', value: status },
      ],
      { type: 'json', subresource: 'status', ...(opts.signal ? { signal: opts.signal } : {}) },
    );
  }

  /**
   * Records a Kubernetes Event about `obj` (gitfleet's one Events writer). Best effort: an event
   * that cannot be written never fails the caller. Messages must already be free of Secret data;
   * they are cut to 1,000 characters.
   */
  async recordEvent(
    obj: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component = 'gitfleet-controller',
  ): Promise<void> {
    const now = new Date().toISOString();
    const ns = obj.metadata.namespace ?? 'default';
    try {
      await this.request({
        method: 'POST',
        path: `/api/v1/namespaces/${encodeURIComponent(ns)}/events`,
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${obj.metadata.name}.`, namespace: ns },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: obj.metadata.name,
            namespace: ns,
            uid: obj.metadata.uid,
            resourceVersion: obj.metadata.resourceVersion,
          },
          reason,
          message: message.length > 1000 ? `${message.slice(0, 997)}...` : message,
          type,
          source: { component },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch {
      // best effort
    }
  }

  /** Deletes an object; a missing object counts as deleted (returns false). */
  async delete(
    ref: ObjectRef,
    opts: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    try {
      await this.request({
        method: 'DELETE',
        path: await this.objectPath(ref, opts.signal),
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: opts.propagationPolicy ?? 'Background',
        },
        signal: opts.signal,
      });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async #discover(apiVersion: string, signal?: AbortSignal): Promise<void> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let list: { resources: { name: string; kind: string; namespaced: boolean }[] };
    try {
      list = await this.request({ method: 'GET', path, signal });
    } catch (e) {
      if (isNotFound(e)) return; // the group/version is not served: the caller reports the kind
      throw e;
    }
    for (const r of list.resources) {
      if (r.name.includes('/')) continue; // subresources such as deployments/status
      this.#resources.set(`${apiVersion}/${r.kind}`, {
        apiVersion,
        kind: r.kind,
        plural: r.name,
        namespaced: r.namespaced,
      });
    }
    this.#discovered.add(apiVersion);
  }

  #send(spec: RequestSpec): Promise<http.IncomingMessage> {
    const kind = spec.query?.dryRun ? `${spec.method} (dry run)` : spec.method;
    this.requestCounts[kind] = (this.requestCounts[kind] ?? 0) + 1;
    const url = new URL(this.server + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...this.#conn.headers,
      ...(this.impersonatedUser ? { 'Impersonate-User': this.impersonatedUser } : {}),
      ...spec.headers,
    };
    if (payload) {
      headers['Content-Type'] = spec.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const timeoutMs = spec.timeoutMs ?? this.#timeouts.requestMs;
    const mod = url.protocol === 'https:' ? https : http;
    // One timer and one listener per request, removed when it closes. AbortSignal.timeout and
    // AbortSignal.any cost a signal, a timer and listeners of their own on every request: a cold
    // sync makes hundreds of requests, and each cost about 1 ms of CPU, most of it these.
    return new Promise((resolve, reject) => {
      let answer: http.IncomingMessage | undefined;
      const req = mod.request(url, { method: spec.method, headers, agent: this.#agent }, (res) => {
        answer = res;
        // A request without a timeout (a watch) only had to be answered in the usual time.
        if (timeoutMs <= 0) clearTimeout(timer);
        resolve(res);
      });
      // Once answered, the answer's reader is told why it ends (not just "aborted").
      const end = (why: Error): void => void (answer ?? req).destroy(why);
      // With a timeout, the whole request (its answer's body included) must end in time; without
      // one, a server that accepts the connection and never answers must not hold it open forever.
      const limit = timeoutMs > 0 ? timeoutMs : this.#timeouts.requestMs;
      const timer = setTimeout(
        () => end(new Error(timeoutMs > 0 ? `timed out after ${limit} ms` : `no answer within ${limit} ms`)),
        limit,
      );
      timer.unref();
      const signal = spec.signal;
      const onAbort = (): void => {
        end(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      });
      req.on('error', (e) => {
        if (signal?.aborted) reject(signal.reason instanceof Error ? signal.reason : e);
        else reject(new KubeConnectionError(this.server, e));
      });
      req.end(payload);
    });
  }
}

export function refOf(obj: KubeObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
  };
}

async function readBody(res: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw new GitfleetError('kube.ResponseTooLarge', `response exceeded ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseStatus(body: Buffer): KubeStatus | undefined {
  try {
    const s = JSON.parse(body.toString('utf8')) as KubeStatus;
    return s.kind === 'Status' ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One TLS context for every connection to a cluster. Given the PEM strings, Node builds a new
 * context (parsing the CA, certificate and key) for each new socket: ~7 ms of CPU each, measured,
 * paid by every watch and every parallel request of a cold sync. A PEM Node cannot read is passed
 * as before, so the connection fails as it always did and the caller reports it.
 */
function tlsOptions(conn: ClusterConnection): https.AgentOptions {
  try {
    return { secureContext: tls.createSecureContext({ ca: conn.ca, cert: conn.cert, key: conn.key }) };
  } catch {
    return { ca: conn.ca, cert: conn.cert, key: conn.key };
  }
}
