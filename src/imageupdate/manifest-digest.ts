/**
 * The digest a tag names in its registry, as `docker pull name@digest` would pin it: the digest of
 * the manifest the tag points at, whatever its kind. For a multi-arch image that is the OCI image
 * index / Docker manifest list (one digest for every platform), not one platform's manifest, so the
 * request accepts index and list media types first. (The engine's OCI client asks for image
 * manifests only, which is what rendering an artifact needs; a registry then answers a list with
 * the amd64 manifest, or 404 for an OCI index.)
 *
 * The registry's `Docker-Content-Digest` header names the digest; the body is hashed as well and a
 * disagreement is an error (a proxy that rewrote the manifest would otherwise be pinned). Auth as
 * the OCI client does it: basic first, a token from the realm of a Bearer challenge.
 */
import { createHash } from 'node:crypto';
import { SourceError } from '../engine/errors.js';
import { authError, authHeader, httpGet, type GetResult, type RepoAuth } from '../engine/source/http-get.js';
import type { DeniedNetworks } from '../engine/source/network.js';
import { bearerChallenge, type OciRef } from '../engine/source/oci.js';

/** Index and list types first: the tag's own manifest, never a platform's chosen by the registry. */
export const DIGEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export interface DigestOptions {
  timeoutMs: number;
  denied?: DeniedNetworks;
  scheme?: 'https' | 'http';
}

export interface TagDigest {
  /** `sha256:<hex>` */
  digest: string;
  /** The manifest's media type (an index or list for multi-arch images). */
  mediaType?: string;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export async function tagDigest(
  ref: OciRef,
  tag: string,
  auth: RepoAuth,
  o: DigestOptions,
  what: string,
): Promise<TagDigest> {
  const url = `${o.scheme ?? 'https'}://${ref.registry}/v2/${ref.repository}/manifests/${encodeURIComponent(tag)}`;
  const base = {
    ca: auth.caData,
    maxBytes: MAX_MANIFEST_BYTES,
    timeoutMs: o.timeoutMs,
    denied: o.denied,
    what,
  };
  const get = (authz: Record<string, string>): Promise<GetResult> =>
    httpGet(url, { ...base, headers: { ...authz, accept: DIGEST_ACCEPT.join(', ') } });
  let res = await get(authHeader(auth));
  if (res.status === 401) {
    const challenge = bearerChallenge(res.headers['www-authenticate']);
    if (challenge) res = await get({ authorization: `Bearer ${await token(challenge, auth, base)}` });
  }
  const hadCredentials = !!auth.username || !!auth.bearerToken;
  if (res.status === 401 || res.status === 403) throw authError(what, res.status, hadCredentials);
  if (res.status === 404)
    throw new SourceError(what, `tag ${tag} not found in ${ref.repository}`, { code: 'source.NotFound' });
  if (res.status !== 200)
    throw new SourceError(what, `manifest of ${tag} answered HTTP ${res.status}`, {
      transient: res.status >= 500,
    });
  const hashed = `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
  const header = res.headers['docker-content-digest'];
  const named = (Array.isArray(header) ? header[0] : header)?.trim();
  if (named && named.startsWith('sha256:') && named !== hashed)
    throw new SourceError(
      what,
      `the registry names ${tag}'s manifest ${named} but its content hashes to ${hashed}`,
      { code: 'source.DigestMismatch' },
    );
  const type = res.headers['content-type']?.split(';')[0]?.trim();
  let mediaType = type && type !== 'application/json' ? type : undefined;
  if (!mediaType)
    try {
      const m = (JSON.parse(res.body.toString('utf8')) as { mediaType?: unknown }).mediaType;
      if (typeof m === 'string') mediaType = m;
    } catch {
      throw new SourceError(what, `manifest of ${tag} is not JSON`);
    }
  return { digest: named?.startsWith('sha256:') ? named : hashed, ...(mediaType ? { mediaType } : {}) };
}

/** A registry token from the Bearer challenge's realm, asked with the repository's credentials. */
async function token(
  params: Map<string, string>,
  auth: RepoAuth,
  base: { ca: string | undefined; timeoutMs: number; denied: DeniedNetworks | undefined; what: string },
): Promise<string> {
  const realm = params.get('realm');
  let u: URL;
  try {
    u = new URL(realm ?? '');
  } catch {
    throw new SourceError(base.what, 'registry asked for a token without naming a valid realm URL');
  }
  for (const k of ['service', 'scope']) {
    const v = params.get(k);
    if (v) u.searchParams.set(k, v);
  }
  const res = await httpGet(u.toString(), { ...base, maxBytes: 1024 * 1024, headers: authHeader(auth) });
  if (res.status === 401 || res.status === 403) throw authError(base.what, res.status, !!auth.username);
  if (res.status !== 200) throw new SourceError(base.what, `token service answered HTTP ${res.status}`);
  let body: { token?: unknown; access_token?: unknown };
  try {
    body = JSON.parse(res.body.toString('utf8')) as typeof body;
  } catch {
    throw new SourceError(base.what, 'token service answered something other than JSON');
  }
  const t = body.token ?? body.access_token;
  if (typeof t !== 'string' || t === '')
    throw new SourceError(base.what, 'token service answered without a token');
  return t;
}
