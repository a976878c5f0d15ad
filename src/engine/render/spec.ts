import type { DirectoryOptions } from './directory.js';
import type { HelmOptions } from './helm.js';
import type { KustomizeOverrides } from './kustomize-overrides.js';
import type { ResourceLimits } from './sandbox.js';
import { DEFAULT_RESOURCE_LIMITS } from './sandbox.js';

/** What to render: an app path of a checked-out repository and how to render it. */
export interface RenderSpec {
  /** Absolute path of the checked-out repository root (content-addressed checkout; read-only). */
  root: string;
  /** App path relative to root ('' or '.' = root). Absolute paths and `..` escapes are refused. */
  path: string;
  /**
   * Auto-detected when absent: a kustomization.yaml|yml|Kustomization → kustomize; else a
   * Chart.yaml → helm; else directory (kustomization wins when both exist, as in Argo CD).
   */
  type?: 'directory' | 'kustomize' | 'helm';
  /** Directory options; ignored for other types. Globs are matched against paths relative to the app path. */
  directory?: DirectoryOptions;
  /** Helm options; ignored for other types. */
  helm?: HelmOptions;
  /** Argo CD's kustomize overrides, applied over the app's kustomization; ignored for other types. */
  kustomize?: KustomizeOverrides;
}

/** How a render is bounded and which binaries it runs. The caller's object is never modified. */
export interface RenderOptions {
  /** Cancels the render; a running tool is killed. Default: none. */
  signal?: AbortSignal;
  /** Limit for each kustomize/helm run, in ms. Default 60_000. */
  timeoutMs?: number;
  /** Limit on a tool's stdout, or on the total size of a directory's files, in bytes. Default 32 MiB. */
  maxOutputBytes?: number;
  /** Default: $GITFLEET_KUSTOMIZE, else `kustomize` on PATH. */
  kustomizeBinary?: string;
  /** Default: $GITFLEET_HELM, else `helm` on PATH. */
  helmBinary?: string;
  /**
   * Reads a kustomization that only lists local files (no other field, no override) without
   * running kustomize (kustomize-plain.ts). Default: true unless $GITFLEET_KUSTOMIZE_PLAIN is `off`.
   */
  kustomizePlain?: boolean;
  /**
   * rlimits of each kustomize/helm run; fields not given keep DEFAULT_RESOURCE_LIMITS (2 GiB of
   * heap, 60 s of CPU, 16 MiB per written file, 1024 open files). There is no way to turn them off.
   */
  resources?: Partial<ResourceLimits>;
}

/** RenderOptions with every default filled in. */
export interface ResolvedRenderOptions {
  signal: AbortSignal | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  kustomizeBinary: string;
  helmBinary: string;
  kustomizePlain: boolean;
  resources: ResourceLimits;
}

/**
 * The defaults of RenderOptions applied to `opts` (a new object). Binaries come from the options,
 * then GITFLEET_KUSTOMIZE / GITFLEET_HELM (set by deployments to the pinned builds), then PATH.
 * Non-positive or non-finite limits raise RangeError: a zero limit is a bug, not "unlimited".
 */
export function defaultRenderOptions(opts: RenderOptions = {}): ResolvedRenderOptions {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxOutputBytes = opts.maxOutputBytes ?? 32 * 1024 * 1024;
  for (const [name, v] of [
    ['timeoutMs', timeoutMs],
    ['maxOutputBytes', maxOutputBytes],
    ...Object.entries(definedOnly(opts.resources ?? {})).map(([k, v]) => [`resources.${k}`, v] as const),
  ] as const) {
    if (!Number.isFinite(v) || v <= 0)
      throw new RangeError(`RenderOptions.${name} must be a positive number, got ${v}`);
  }
  return {
    signal: opts.signal,
    timeoutMs,
    maxOutputBytes,
    kustomizeBinary: opts.kustomizeBinary ?? process.env.GITFLEET_KUSTOMIZE ?? 'kustomize',
    helmBinary: opts.helmBinary ?? process.env.GITFLEET_HELM ?? 'helm',
    kustomizePlain: opts.kustomizePlain ?? process.env.GITFLEET_KUSTOMIZE_PLAIN !== 'off',
    resources: { ...DEFAULT_RESOURCE_LIMITS, ...definedOnly(opts.resources ?? {}) },
  };
}

/** The members of `o` that are not undefined (so `{memoryBytes: undefined}` keeps the default). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
