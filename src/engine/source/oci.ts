/**
 * A small OCI distribution client (the registry HTTP API v2): list tags, resolve a tag, a semver
 * range over tags or a pinned digest to a manifest digest, and pull one layer into the archive
 * cache. Basic auth, and token auth as registries announce it (`WWW-Authenticate: Bearer realm=…`),
 * TLS with a custom CA. Used for Helm charts at oci:// and for artifacts of plain manifests or
 * Kustomize trees (Flux's OCIRepository, Argo CD's OCI source); the manifest digest is the
 * revision. Blobs are verified against their digest before they are stored.
 */
import { SourceError } from '../errors.js';
import { sha256, type ArchiveCache } from './chart-cache.js';
import { authError, authHeader, httpGet, type GetResult, type RepoAuth } from './http-get.js';
import type { DeniedNetworks, Resolver } from './network.js';
import { maxSatisfying, parseRange, parseVersion } from './semver.js';
import { SharedTasks } from './shared.js';

export const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
/** Layer types of plain-manifest artifacts: Flux's, and oras' for a pushed directory. */
export const CONTENT_LAYERS = [
  'application/vnd.cncf.flux.content.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar',
];
const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export interface OciRef {
  /** `host[:port]` */
  registry: string;
  repository: string;
}

/** Parses `oci://host[:port]/path` (and a chart name appended as Helm does for `repoURL` + `chart`). */
/**
 * The parameters of the Bearer challenge in a `WWW-Authenticate` answer, or undefined when there is
 * none. A registry may offer several schemes in one header (Gitea: `Bearer realm=…,service=…,
 * Basic realm=…`) or in several headers: each challenge is `<scheme> k="v", …`, and only the Bearer
 * one's parameters count (another scheme's `realm` is a display name, not the token service).
 */
export function bearerChallenge(header: string | string[] | undefined): Map<string, string> | undefined {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  // A new challenge starts where a scheme name is followed by a space (a parameter has `=`).
  const challenges = text.split(/,?\s*(?=(?:^|\b)[A-Za-z][A-Za-z0-9._~+/-]*\s+[A-Za-z0-9._~+/-]+=)/u);
  for (const c of challenges) {
    const m = /^\s*bearer\s+(.*)$/isu.exec(c);
    if (!m?.[1]) continue;
    const params = new Map<string, string>();
    for (const p of m[1].matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"([^"]*)"|([^\s,"]+))/gu))
      if (p[1]) params.set(p[1].toLowerCase(), p[2] ?? p[3] ?? '');
    return params;
  }
  return undefined;
}

export function parseOciUrl(url: string, chart?: string): OciRef {
  const m = /^oci:\/\/([^/@]+)\/([a-z0-9]+(?:[._/-][a-z0-9]+)*)\/?$/u.exec(url.trim());
  if (!m?.[1] || !m[2])
    throw new SourceError(url, 'not an OCI repository URL (oci://host[:port]/path, lower case)', {
      code: 'source.InvalidURL',
    });
  const repository = chart ? `${m[2]}/${chart}` : m[2];
  if (chart !== undefined && !/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/u.test(chart))
    throw new SourceError(url, `chart name ${JSON.stringify(chart)} is not a valid OCI path component`);
  return { registry: m[1], repository };
}

export interface OciOptions {
  cache: ArchiveCache;
  timeoutMs?: number;
  maxBlobBytes?: number;
  denied?: DeniedNetworks;
  resolver?: Resolver;
  /** `http` only for tests of a plain-HTTP registry; default https. */
  scheme?: 'https' | 'http';
}

export interface ResolvedArtifact {
  /** `sha256:<hex>` of the manifest: the revision. */
  digest: string;
  /** The tag that was chosen (for a tag or a range). */
  tag?: string;
}

interface Manifest {
  config?: { mediaType?: string };
  layers?: { mediaType?: string; digest?: string; size?: number }[];
}

/** Bound of the manifests kept by digest (a few KiB each). */
const PINNED_MANIFESTS = 1000;

export class OciClient {
  readonly #o: OciOptions & { timeoutMs: number; maxBlobBytes: number };
  readonly #tokens = new Map<string, string>();
  readonly #pulls = new SharedTasks<string>();
  /**
   * Manifests asked for by digest (immutable: the digest is checked), per registry, repository and
   * credential, so rendering a resolved artifact or chart asks the registry nothing again; a
   * caller with other credentials is still asked for by the registry. Oldest dropped past the bound.
   */
  readonly #pinned = new Map<string, Manifest>();

  constructor(o: OciOptions) {
    this.#o = { timeoutMs: 30_000, maxBlobBytes: 64 * 1024 * 1024, ...o };
  }

  #url(ref: OciRef, path: string): string {
    return `${this.#o.scheme ?? 'https'}://${ref.registry}/v2/${ref.repository}/${path}`;
  }

  /** The limits and trust every request to this registry carries (no credentials: callers add them). */
  #requestOptions(auth: RepoAuth | undefined, what: string): Parameters<typeof httpGet>[1] {
    return {
      ca: auth?.caData,
      maxBytes: this.#o.maxBlobBytes,
      timeoutMs: this.#o.timeoutMs,
      denied: this.#o.denied,
      resolver: this.#o.resolver,
      what,
    };
  }

  /** GET with the registry's auth: basic first; on a Bearer challenge, a token from its realm. */
  async #get(
    ref: OciRef,
    path: string,
    auth: RepoAuth | undefined,
    what: string,
    accept?: string[],
  ): Promise<GetResult> {
    const url = this.#url(ref, path);
    const tokenKey = `${ref.registry}/${ref.repository}\0${auth?.username ?? ''}\0${sha256(auth?.password ?? '')}`;
    const base = this.#requestOptions(auth, what);
    const headers = (authz: Record<string, string>): Record<string, string> => ({
      ...authz,
      ...(accept ? { accept: accept.join(', ') } : {}),
    });
    const token = this.#tokens.get(tokenKey);
    let res = await httpGet(url, {
      ...base,
      headers: headers(token ? { authorization: `Bearer ${token}` } : authHeader(auth)),
    });
    if (res.status === 401) {
      const challenge = bearerChallenge(res.headers['www-authenticate']);
      if (challenge) {
        const t = await this.#token(challenge, auth, base);
        this.#tokens.set(tokenKey, t);
        res = await httpGet(url, { ...base, headers: headers({ authorization: `Bearer ${t}` }) });
      }
    }
    if (res.status === 401 || res.status === 403)
      throw authError(what, res.status, !!auth?.username || !!auth?.bearerToken);
    return res;
  }

  async #token(
    params: Map<string, string>,
    auth: RepoAuth | undefined,
    base: Parameters<typeof httpGet>[1],
  ): Promise<string> {
    const realm = params.get('realm');
    if (!realm) throw new SourceError(base.what, 'registry asked for a token without naming a realm');
    let u: URL;
    try {
      u = new URL(realm);
    } catch {
      throw new SourceError(
        base.what,
        `registry named a token realm that is not a URL: ${JSON.stringify(realm)}`,
      );
    }
    for (const k of ['service', 'scope']) {
      const v = params.get(k);
      if (v) u.searchParams.set(k, v);
    }
    const res = await httpGet(u.toString(), { ...base, maxBytes: 1024 * 1024, headers: authHeader(auth) });
    if (res.status === 401 || res.status === 403) throw authError(base.what, res.status, !!auth?.username);
    if (res.status !== 200) throw new SourceError(base.what, `token service answered HTTP ${res.status}`);
    const body = JSON.parse(res.body.toString('utf8')) as { token?: string; access_token?: string };
    const t = body.token ?? body.access_token;
    if (!t) throw new SourceError(base.what, 'token service answered without a token');
    return t;
  }

  async tags(ref: OciRef, auth: RepoAuth | undefined, what: string): Promise<string[]> {
    const res = await this.#get(ref, 'tags/list?n=10000', auth, what);
    if (res.status === 404)
      throw new SourceError(what, `repository ${ref.repository} not found in ${ref.registry}`, {
        code: 'source.NotFound',
      });
    if (res.status !== 200)
      throw new SourceError(what, `tag list answered HTTP ${res.status}`, { transient: res.status >= 500 });
    const body = JSON.parse(res.body.toString('utf8')) as { tags?: unknown };
    return Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : [];
  }

  /**
   * Resolves `wanted`: `sha256:…` (a pinned digest), an existing tag, or a semver range over the
   * tags (Helm writes `+` as `_` in tags). Always asks the registry, so a moved tag is seen.
   */
  async resolve(
    ref: OciRef,
    wanted: string | undefined,
    auth: RepoAuth | undefined,
    what: string,
  ): Promise<ResolvedArtifact & { manifest: Manifest }> {
    const w = (wanted ?? '').trim() || 'latest';
    let tag: string | undefined;
    let reference: string;
    if (/^sha256:[a-f0-9]{64}$/u.test(w)) reference = w;
    else {
      const tags = await this.tags(ref, auth, what);
      if (tags.includes(w)) tag = w;
      else if (tags.includes(w.replace(/\+/gu, '_'))) tag = w.replace(/\+/gu, '_');
      else if (parseRange(w) !== undefined) {
        const versions = tags.map((t) => t.replace(/_/gu, '+')).filter((t) => parseVersion(t) !== undefined);
        const best = maxSatisfying(versions, w);
        if (best === undefined)
          throw new SourceError(what, `no tag of ${ref.repository} is in range ${JSON.stringify(w)}`, {
            code: 'source.ChartVersionNotFound',
          });
        tag = best.replace(/\+/gu, '_');
      } else
        throw new SourceError(what, `tag ${JSON.stringify(w)} not found in ${ref.repository}`, {
          code: 'source.NotFound',
        });
      reference = tag;
    }
    const pinKey = `${ref.registry}/${ref.repository}@${reference}\0${auth?.username ?? ''}\0${sha256(`${auth?.password ?? ''}\0${auth?.bearerToken ?? ''}`)}`;
    const known = tag === undefined ? this.#pinned.get(pinKey) : undefined;
    if (known) return { digest: reference, manifest: known };
    const res = await this.#get(ref, `manifests/${reference}`, auth, what, MANIFEST_TYPES);
    if (res.status === 404)
      throw new SourceError(what, `manifest ${reference} not found in ${ref.repository}`, {
        code: 'source.NotFound',
      });
    if (res.status !== 200)
      throw new SourceError(what, `manifest answered HTTP ${res.status}`, { transient: res.status >= 500 });
    const digest = `sha256:${sha256(res.body)}`;
    if (reference.startsWith('sha256:') && digest !== reference)
      throw new SourceError(what, `registry returned manifest ${digest} for ${reference}`, {
        code: 'source.DigestMismatch',
      });
    const manifest = JSON.parse(res.body.toString('utf8')) as Manifest;
    if (tag === undefined) {
      this.#pinned.set(pinKey, manifest);
      for (const k of this.#pinned.keys()) {
        if (this.#pinned.size <= PINNED_MANIFESTS) break;
        this.#pinned.delete(k);
      }
    }
    return { digest, ...(tag ? { tag } : {}), manifest };
  }

  /** Stores the manifest's layer of one of `mediaTypes` in the cache; returns its hex digest. */
  async pullLayer(
    ref: OciRef,
    manifest: Manifest,
    mediaTypes: string[],
    auth: RepoAuth | undefined,
    what: string,
  ): Promise<string> {
    const layer = (manifest.layers ?? []).find((l) => l.mediaType && mediaTypes.includes(l.mediaType));
    const digest = layer?.digest;
    if (!digest || !/^sha256:[a-f0-9]{64}$/u.test(digest))
      throw new SourceError(
        what,
        `artifact has no layer of type ${mediaTypes.join(' or ')} (has ${(manifest.layers ?? []).map((l) => l.mediaType).join(', ') || 'none'})`,
        {
          code: 'source.BadArtifact',
        },
      );
    const hex = digest.slice(7);
    if (await this.#o.cache.has(hex)) return hex;
    return this.#pulls.run(
      hex,
      async () => {
        let res = await this.#get(ref, `blobs/${digest}`, auth, what);
        if (res.status >= 300 && res.status < 400 && res.headers.location) {
          // Storage behind a redirect gets no registry credentials.
          res = await httpGet(
            new URL(res.headers.location, this.#url(ref, '')).toString(),
            this.#requestOptions(auth, what),
          );
        }
        if (res.status !== 200)
          throw new SourceError(what, `blob ${digest} answered HTTP ${res.status}`, {
            transient: res.status >= 500,
          });
        return this.#o.cache.put(res.body, hex, what);
      },
      undefined,
      () => new Error('aborted'),
    );
  }
}
