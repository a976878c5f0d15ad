/**
 * Helm chart repositories (an HTTP(S) `index.yaml` and the chart archives it lists). The index of a
 * repository is fetched at most once per interval for the whole fleet, per credential (a caller
 * whose credentials the server did not accept is never served what another caller fetched), and
 * concurrent callers share one fetch. Chart archives are stored by digest (ArchiveCache) and never
 * fetched again; the index's `digest` is checked when it gives one.
 */
import { createHmac, randomBytes } from 'node:crypto';

import { parse as parseYaml } from 'yaml';

import { SourceError } from '../errors.js';
import type { ArchiveCache } from './chart-cache.js';
import { authError, authHeader, httpGet, type RepoAuth } from './http-get.js';
import type { DeniedNetworks, Resolver } from './network.js';
import { maxSatisfying, parseRange, parseVersion } from './semver.js';
import { SharedTasks } from './shared.js';

export interface ChartVersion {
  name: string;
  version: string;
  urls: string[];
  /** Hex sha256 of the archive when the index gives one. */
  digest?: string;
}

export interface HelmIndex {
  entries: Map<string, ChartVersion[]>;
  fetchedAt: number;
}

export interface HelmRepoOptions {
  cache: ArchiveCache;
  /** How long an index is used before it is fetched again; default 3 minutes (as the Git interval). */
  intervalMs?: number;
  timeoutMs?: number;
  /** Largest index.yaml accepted; default 64 MiB. */
  maxIndexBytes?: number;
  /** Largest chart archive accepted; default 32 MiB. */
  maxChartBytes?: number;
  denied?: DeniedNetworks;
  resolver?: Resolver;
}

/** A chart version resolved in a repository and stored in the cache. */
export interface PulledChart {
  name: string;
  version: string;
  /** Hex sha256 of the archive. */
  digest: string;
}

export class HelmRepositories {
  readonly #o: Required<Omit<HelmRepoOptions, 'denied' | 'resolver'>> &
    Pick<HelmRepoOptions, 'denied' | 'resolver'>;
  readonly #indexes = new Map<string, HelmIndex>();
  readonly #fetching = new SharedTasks<HelmIndex>();
  readonly #pulls = new SharedTasks<string>();
  readonly #key = randomBytes(32);
  /** Index downloads per repository URL (for metrics and the bench). */
  readonly indexFetches = new Map<string, number>();

  constructor(o: HelmRepoOptions) {
    this.#o = {
      intervalMs: 180_000,
      timeoutMs: 30_000,
      maxIndexBytes: 64 * 1024 * 1024,
      maxChartBytes: 32 * 1024 * 1024,
      ...o,
    };
  }

  /** A per-process identity of credentials (HMAC), so indexes are shared only by equal credentials. */
  #identity(auth: RepoAuth | undefined): string {
    return createHmac('sha256', this.#key)
      .update(JSON.stringify([auth?.username, auth?.password, auth?.bearerToken, auth?.caData]))
      .digest('hex');
  }

  /** The repository's index: cached for the interval unless `force` (a refresh) asks for a new one. */
  async index(repoURL: string, auth: RepoAuth | undefined, force = false): Promise<HelmIndex> {
    const base = repoBase(repoURL);
    const key = `${base}\0${this.#identity(auth)}`;
    const cached = this.#indexes.get(key);
    if (cached && !force && Date.now() - cached.fetchedAt < this.#o.intervalMs) return cached;
    return this.#fetching.run(
      key,
      async () => {
        const res = await httpGet(`${base}/index.yaml`, {
          headers: authHeader(auth),
          ca: auth?.caData,
          maxBytes: this.#o.maxIndexBytes,
          timeoutMs: this.#o.timeoutMs,
          denied: this.#o.denied,
          resolver: this.#o.resolver,
          what: repoURL,
        });
        this.indexFetches.set(base, (this.indexFetches.get(base) ?? 0) + 1);
        if (res.status === 401 || res.status === 403)
          throw authError(repoURL, res.status, !!authHeader(auth).authorization);
        if (res.status !== 200)
          throw new SourceError(repoURL, `index.yaml answered HTTP ${res.status}`, {
            transient: res.status >= 500,
          });
        const index = parseIndex(res.body.toString('utf8'), repoURL);
        this.#indexes.set(key, index);
        return index;
      },
      undefined,
      () => new Error('aborted'),
    );
  }

  /**
   * The newest version of `chart` that `wanted` names: an exact version, or a semver range over
   * the index's versions (prereleases only when the range names one, as Helm). Errors name the
   * repository, the chart and what it has.
   */
  resolveVersion(index: HelmIndex, repoURL: string, chart: string, wanted: string | undefined): ChartVersion {
    const versions = index.entries.get(chart);
    if (!versions || versions.length === 0)
      throw new SourceError(repoURL, `chart ${JSON.stringify(chart)} is not in the repository's index`, {
        code: 'source.ChartNotFound',
      });
    const w = (wanted ?? '').trim();
    const exact = versions.find((v) => v.version === w || v.version === w.replace(/^v/u, ''));
    if (exact) return exact;
    const range = w === '' || w === 'latest' ? '*' : w;
    if (parseRange(range) === undefined)
      throw new SourceError(repoURL, `chart ${chart} has no version ${JSON.stringify(w)}`, {
        code: 'source.ChartVersionNotFound',
      });
    const best = maxSatisfying(
      versions.map((v) => v.version).filter((v) => parseVersion(v) !== undefined),
      range,
    );
    const hit = best === undefined ? undefined : versions.find((v) => v.version === best);
    if (!hit)
      throw new SourceError(
        repoURL,
        `chart ${chart} has no version in range ${JSON.stringify(range)} (has ${versions
          .slice(0, 10)
          .map((v) => v.version)
          .join(', ')})`,
        { code: 'source.ChartVersionNotFound' },
      );
    return hit;
  }

  /** Resolves `chart`@`wanted` and stores its archive (fetched only when not stored yet). */
  async pull(
    repoURL: string,
    chart: string,
    wanted: string | undefined,
    auth: RepoAuth | undefined,
    force = false,
  ): Promise<PulledChart> {
    const index = await this.index(repoURL, auth, force);
    const v = this.resolveVersion(index, repoURL, chart, wanted);
    if (v.digest && (await this.#o.cache.has(v.digest)))
      return { name: chart, version: v.version, digest: v.digest };
    const url = v.urls[0];
    if (!url) throw new SourceError(repoURL, `chart ${chart} ${v.version} lists no download URL`);
    const abs = new URL(url, `${repoBase(repoURL)}/`).toString();
    const digest = await this.#pulls.run(
      `${abs}\0${this.#identity(auth)}`,
      async () => {
        // Credentials go only to the repository's own host (as Helm's default: pass-credentials off).
        const sameHost = new URL(abs).host === new URL(repoBase(repoURL)).host;
        const res = await httpGet(abs, {
          headers: sameHost ? authHeader(auth) : {},
          ca: auth?.caData,
          maxBytes: this.#o.maxChartBytes,
          timeoutMs: this.#o.timeoutMs,
          denied: this.#o.denied,
          resolver: this.#o.resolver,
          what: repoURL,
        });
        if (res.status === 401 || res.status === 403)
          throw authError(repoURL, res.status, sameHost && !!auth);
        if (res.status !== 200)
          throw new SourceError(repoURL, `chart ${chart} ${v.version} answered HTTP ${res.status}`, {
            transient: res.status >= 500,
          });
        return this.#o.cache.put(res.body, v.digest, `${repoURL} chart ${chart} ${v.version}`);
      },
      undefined,
      () => new Error('aborted'),
    );
    return { name: chart, version: v.version, digest };
  }
}

/** The repository URL without a trailing slash or `/index.yaml`. */
export function repoBase(repoURL: string): string {
  return repoURL
    .trim()
    .replace(/\/index\.yaml$/u, '')
    .replace(/\/+$/u, '');
}

/** Parses index.yaml into chart → versions (newest first as listed); malformed entries are skipped. */
export function parseIndex(text: string, repoURL: string): HelmIndex {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new SourceError(repoURL, `index.yaml is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const entries = new Map<string, ChartVersion[]>();
  const raw = (doc as { entries?: unknown } | null)?.entries;
  if (typeof raw !== 'object' || raw === null)
    throw new SourceError(repoURL, 'index.yaml has no entries (is this a Helm repository?)', {
      code: 'source.NotHelmRepository',
    });
  for (const [name, list] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    const out: ChartVersion[] = [];
    for (const e of list as unknown[]) {
      const r = e as { version?: unknown; urls?: unknown; digest?: unknown };
      if (typeof r.version !== 'string' || !Array.isArray(r.urls)) continue;
      const digest = typeof r.digest === 'string' ? r.digest.replace(/^sha256:/u, '') : undefined;
      out.push({
        name,
        version: r.version,
        urls: r.urls.filter((u): u is string => typeof u === 'string'),
        ...(digest && /^[a-f0-9]{64}$/u.test(digest) ? { digest } : {}),
      });
    }
    entries.set(name, out);
  }
  return { entries, fetchedAt: Date.now() };
}
