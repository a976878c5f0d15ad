/**
 * Image update automation, in gitfleet's shape of Flux's image-reflector and image-automation
 * controllers: an ImageRepository scans the tags of one image, an ImagePolicy picks the latest
 * tag by a rule, and an ImageUpdateAutomation writes the chosen tags into Git where files mark
 * them (Flux's `# {"$imagepolicy": "ns:policy"}` comments) or where its setters name a field.
 */
import type { KubeObject } from '../kube/types.js';
import type { API_VERSION, Condition } from './application.js';

export type ImageConditionType = 'Ready';

export interface LocalRef {
  name: string;
}

export interface ImageRepository extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'ImageRepository';
  spec: {
    /** `host[:port]/path` (Docker Hub names such as `nginx` or `org/app` are completed). */
    image: string;
    /** How often tags are scanned: `30s`, `5m`, `1h`. Default `5m`. */
    interval?: string;
    /** Registry credentials: a `kubernetes.io/dockerconfigjson` Secret, or `username` + `password`. */
    secretRef?: LocalRef;
    /** Secret with `ca.crt`: the CA(s) the registry's certificate is checked against. */
    certSecretRef?: LocalRef;
    /** Regular expressions; matching tags are ignored. Default `["^.*\\.sig$"]` (cosign signatures). */
    exclusionList?: string[];
    suspend?: boolean;
  };
  status?: {
    observedGeneration?: number;
    canonicalImageName?: string;
    lastScanResult?: { tagCount: number; scanTime: string; latestTags: string[] };
    conditions?: Condition<ImageConditionType>[];
  };
}

export type SortOrder = 'asc' | 'desc';

export interface ImagePolicy extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'ImagePolicy';
  spec: {
    imageRepositoryRef: LocalRef;
    /** Exactly one rule. `asc` selects the highest value (the default), `desc` the lowest. */
    policy: {
      semver?: { range: string };
      numerical?: { order?: SortOrder };
      alphabetical?: { order?: SortOrder };
    };
    /** Only tags matching `pattern` are candidates; `extract` (e.g. `$ts`, `$1`) is what is compared. */
    filterTags?: { pattern: string; extract?: string };
    /**
     * Whether the chosen tag's manifest digest is looked up (for `:digest` markers and setters):
     * `Never` (the default), `IfNotPresent` (when the chosen tag changes), `Always` (after every
     * scan of the repository, so a tag pushed again is seen).
     */
    digestReflectionPolicy?: 'Never' | 'IfNotPresent' | 'Always';
  };
  status?: {
    observedGeneration?: number;
    /** `image:tag` chosen. */
    latestImage?: string;
    /** The choice; `digest` (`sha256:…`) only when the policy reflects digests. */
    latestRef?: { name: string; tag: string; digest?: string };
    observedPreviousImage?: string;
    conditions?: Condition<ImageConditionType>[];
  };
}

export interface ImageSetter {
  /** Repository-relative file. */
  file: string;
  /** Field path in it: `image.tag`, `images[name=ghcr.io/org/app].newTag`. */
  field: string;
  /** The ImagePolicy (this namespace) whose choice is written. */
  policy: string;
  /**
   * What is written: the tag (default), the image name, `name:tag`, or the tag's manifest digest
   * (`sha256:…`; the policy must reflect digests, see ImagePolicy `digestReflectionPolicy`).
   */
  value?: 'tag' | 'name' | 'image' | 'digest';
}

export interface ImageUpdateAutomation extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'ImageUpdateAutomation';
  spec: {
    git: {
      /** http(s) URL of the repository written to. */
      repoURL: string;
      /**
       * Write credentials (`username` + `password`/token, or `bearerToken`), kept apart from the read
       * credentials of Applications: give this Secret alone a token that may push.
       */
      secretRef?: LocalRef;
      checkout?: { branch: string };
      commit: {
        author: { name: string; email: string };
        /** `{{changes}}`, `{{images}}`, `{{automation}}`, `{{namespace}}`; a default when absent. */
        messageTemplate?: string;
      };
      /** Push to another branch (default: the checkout branch); `pullRequest` then opens a PR. */
      push?: {
        branch?: string;
        pullRequest?: {
          provider: 'gitea' | 'github' | 'gitlab';
          /** API base URL of the host. */
          api: string;
          /** Secret with `token`. */
          tokenSecretRef: LocalRef;
          owner: string;
          repo: string;
          title?: string;
          labels?: string[];
        };
      };
    };
    /** Files under this path are scanned for markers. Default: the whole repository. */
    update?: { path?: string; setters?: ImageSetter[] };
    /** Only ImagePolicies with these labels; all of the namespace by default. */
    policySelector?: { matchLabels?: Record<string, string> };
    interval?: string;
    suspend?: boolean;
  };
  status?: {
    observedGeneration?: number;
    lastAutomationRunTime?: string;
    lastPushCommit?: string;
    lastPushTime?: string;
    pullRequest?: { number: number; url: string };
    /** Policy name → `image:tag` last written (what the setters saw). */
    observedPolicies?: Record<string, string>;
    conditions?: Condition<ImageConditionType>[];
  };
}

/** `30s`, `5m`, `1h30m` in milliseconds; undefined for anything else. */
export function parseInterval(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/u.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  const [h, mi, s, ms] = [m[1], m[2], m[3], m[4]].map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  const total = ((h * 60 + mi) * 60 + s) * 1000 + ms;
  return total > 0 ? total : undefined;
}
