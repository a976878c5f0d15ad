/**
 * Lists the tags of an image in its OCI registry through the engine's OCI client (its auth,
 * token exchange, TLS trust, size and time limits and network deny-list), with the credentials
 * and CA an ImageRepository's Secrets hold. Credentials never leave this module except as the
 * Authorization the OCI client sends.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageRepository } from '../api/image.js';
import { GitfleetError } from '../core/errors.js';
import { ArchiveCache } from '../engine/source/chart-cache.js';
import type { RepoAuth } from '../engine/source/http-get.js';
import type { DeniedNetworks } from '../engine/source/network.js';
import { OciClient, type OciRef } from '../engine/source/oci.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { tagDigest, type DigestOptions } from './manifest-digest.js';
import { excludeTags } from './policy.js';

type SecretObject = KubeObject & { data?: Record<string, string> };

/** `nginx` → docker.io/library/nginx; `host:5000/a/b` stays; a tag or digest is refused. */
export function parseImage(image: string, where: string): OciRef & { canonical: string } {
  const text = image.trim();
  const bad = (why: string): GitfleetError =>
    new GitfleetError('image.InvalidImage', `${where}: spec.image ${JSON.stringify(image)} ${why}`);
  if (text.includes('@') || /:[^/]*$/u.test(text.split('/').slice(1).join('/') || ''))
    throw bad('must not carry a tag or digest');
  const parts = text.split('/');
  const first = parts[0] ?? '';
  const hasRegistry =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first : 'docker.io';
  let repository = hasRegistry ? parts.slice(1).join('/') : text;
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (
    !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/u.test(repository)
  )
    throw bad('is not a valid image name (lower case, host[:port]/path)');
  const canonical = `${registry}/${repository}`;
  if (registry === 'docker.io') registry = 'registry-1.docker.io';
  return { registry, repository, canonical };
}

function decoded(s: SecretObject, key: string): string | undefined {
  const v = s.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

/** Registry credentials from a dockerconfigjson Secret (the entry for `registry`) or username/password keys. */
export function registryAuth(s: SecretObject, registry: string): RepoAuth {
  const where = `Secret ${s.metadata.namespace ?? ''}/${s.metadata.name}`;
  const cfg = decoded(s, '.dockerconfigjson');
  if (cfg !== undefined) {
    let auths: Record<string, { username?: string; password?: string; auth?: string }>;
    try {
      auths = (JSON.parse(cfg) as { auths?: typeof auths }).auths ?? {};
    } catch {
      throw new GitfleetError('image.BadSecret', `${where}: .dockerconfigjson is not JSON`);
    }
    const hosts = [
      registry,
      `https://${registry}`,
      registry === 'registry-1.docker.io' ? 'https://index.docker.io/v1/' : '',
    ];
    const entry = hosts.map((h) => auths[h]).find((e) => e !== undefined);
    if (!entry)
      throw new GitfleetError('image.BadSecret', `${where}: .dockerconfigjson has no entry for ${registry}`);
    if (entry.username !== undefined) return { username: entry.username, password: entry.password ?? '' };
    const pair = Buffer.from(entry.auth ?? '', 'base64').toString('utf8');
    const i = pair.indexOf(':');
    if (i < 0)
      throw new GitfleetError('image.BadSecret', `${where}: the entry for ${registry} has no credentials`);
    return { username: pair.slice(0, i), password: pair.slice(i + 1) };
  }
  const username = decoded(s, 'username');
  const password = decoded(s, 'password');
  if (username === undefined || password === undefined)
    throw new GitfleetError('image.BadSecret', `${where}: needs .dockerconfigjson, or username and password`);
  return { username, password };
}

export interface ScanResult {
  canonical: string;
  tags: string[];
}

export class TagScanner {
  readonly #oci: OciClient;
  readonly #digestOptions: DigestOptions;

  constructor(o: { scheme?: 'https' | 'http'; denied?: DeniedNetworks; timeoutMs?: number } = {}) {
    this.#digestOptions = {
      timeoutMs: o.timeoutMs ?? 30_000,
      ...(o.denied ? { denied: o.denied } : {}),
      ...(o.scheme ? { scheme: o.scheme } : {}),
    };
    // The archive cache is never written: a scan only lists tags.
    this.#oci = new OciClient({
      cache: new ArchiveCache(join(tmpdir(), 'gitfleet-image-scan-unused')),
      timeoutMs: o.timeoutMs ?? 30_000,
      maxBlobBytes: 16 * 1024 * 1024,
      ...(o.denied ? { denied: o.denied } : {}),
      ...(o.scheme ? { scheme: o.scheme } : {}),
    });
  }

  async scan(client: KubeClient, repo: ImageRepository): Promise<ScanResult> {
    const { ref, auth } = await this.#access(client, repo);
    const tags = await this.#oci.tags(ref, auth, `${ref.canonical}`);
    return { canonical: ref.canonical, tags: excludeTags(tags, repo.spec.exclusionList) };
  }

  /**
   * The digest (`sha256:…`) of the manifest `tag` names now, asked of the registry (a moved tag is
   * seen); the image index's for a multi-arch image. For ImagePolicies that reflect digests.
   */
  async digest(client: KubeClient, repo: ImageRepository, tag: string): Promise<string> {
    const { ref, auth } = await this.#access(client, repo);
    return (await tagDigest(ref, tag, auth, this.#digestOptions, `${ref.canonical}:${tag}`)).digest;
  }

  /** The image reference and the credentials/CA of the ImageRepository's Secrets; checks its spec. */
  async #access(
    client: KubeClient,
    repo: ImageRepository,
  ): Promise<{ ref: OciRef & { canonical: string }; auth: RepoAuth }> {
    const ns = repo.metadata.namespace ?? 'default';
    const where = `ImageRepository ${ns}/${repo.metadata.name}`;
    const ref = parseImage(repo.spec.image, where);
    const secret = async (name: string): Promise<SecretObject> => {
      const s = await client.getOrUndefined<SecretObject>({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: ns,
        name,
      });
      if (!s) throw new GitfleetError('image.SecretNotFound', `${where}: Secret ${ns}/${name} not found`);
      return s;
    };
    const auth: RepoAuth = repo.spec.secretRef
      ? registryAuth(await secret(repo.spec.secretRef.name), ref.registry)
      : {};
    if (repo.spec.certSecretRef) {
      const ca = decoded(await secret(repo.spec.certSecretRef.name), 'ca.crt');
      if (!ca)
        throw new GitfleetError(
          'image.BadSecret',
          `${where}: Secret ${repo.spec.certSecretRef.name} has no ca.crt`,
        );
      auth.caData = ca;
    }
    for (const p of repo.spec.exclusionList ?? [])
      try {
        new RegExp(p, 'u');
      } catch {
        throw new GitfleetError(
          'image.InvalidSpec',
          `${where}: spec.exclusionList entry ${JSON.stringify(p)} is not a regular expression`,
        );
      }
    return { ref, auth };
  }
}
