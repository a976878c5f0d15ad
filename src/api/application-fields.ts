/**
 * Which fields of an Argo CD Application gitfleet honours, and which it refuses by name. An
 * Application copied from Argo CD must never lose a field silently: the CRD lists every Argo field
 * (so the apiserver keeps them), and this check names each one gitfleet does not implement, so the
 * controller can refuse the app (condition `InvalidSpecError`) before anything is fetched, rendered
 * or applied. Pure: plain data in, a list of findings out.
 */

/** One field the controller will not act on, with its path (`spec.source.plugin`) and why. */
export interface UnsupportedField {
  path: string;
  reason: string;
}

/** A node of the field tree: honoured (`true`), refused with a reason, or an object of fields. */
type Node =
  | true
  | { refuse: string }
  | { fields: Record<string, Node>; list?: boolean }
  | { only: readonly unknown[]; reason: string }
  | { refuseUnlessEmpty: string };

const refuse = (reason: string): Node => ({ refuse: reason });
const obj = (fields: Record<string, Node>): Node => ({ fields });
const listOf = (fields: Record<string, Node>): Node => ({ fields, list: true });

const SOURCE: Record<string, Node> = {
  repoURL: true,
  targetRevision: true,
  path: true,
  secretRef: true,
  chart: true,
  ref: refuse('`ref` is meaningful only in a source of `spec.sources`'),
  name: true,
  plugin: refuse('config management plugins are not supported (gitfleet runs no tenant programs)'),
  directory: obj({
    recurse: true,
    include: true,
    exclude: true,
    // `argocd app get -o yaml` writes an empty `jsonnet: {}`: with no setting in it, it says nothing.
    jsonnet: {
      refuseUnlessEmpty: 'Jsonnet is not supported; commit the rendered YAML or use kustomize/helm',
    },
  }),
  kustomize: obj({
    namePrefix: true,
    nameSuffix: true,
    images: true,
    commonLabels: true,
    commonAnnotations: true,
    namespace: true,
    replicas: true,
    forceCommonLabels: true,
    forceCommonAnnotations: true,
    version: refuse('gitfleet runs its one pinned kustomize; a per-app version cannot be chosen'),
    commonAnnotationsEnvsubst: refuse('environment substitution in annotations is not supported'),
    // Inline patches and patch files of the repository, with Argo's meaning (kustomize-overrides.ts,
    // kustomize-patch-files.ts).
    patches: listOf({ patch: true, target: true, options: true, path: true }),
    // Added to the override wrapper, confined to the repository (kustomize.ts overrideComponents).
    components: true,
    ignoreMissingComponents: true,
    labelWithoutSelector: refuse('not supported yet; use `labels` in the kustomization'),
    labelIncludeTemplates: refuse('not supported yet; use `labels` in the kustomization'),
    kubeVersion: refuse('not supported for kustomize (it has no helm inflation here)'),
    apiVersions: refuse('not supported for kustomize (it has no helm inflation here)'),
  }),
  helm: obj({
    releaseName: true,
    valueFiles: true,
    values: true,
    valuesObject: true,
    parameters: true,
    ignoreMissingValueFiles: true,
    skipCrds: true,
    namespace: true,
    kubeVersion: true,
    apiVersions: true,
    fileParameters: true,
    // Argo CD's values are `v2`/`v3`; gitfleet is Helm 3, so only that choice can be honoured.
    version: { only: ['v3', '3'], reason: 'gitfleet runs Helm 3 only (`v3`)' },
    passCredentials: refuse('Helm repository charts are not supported, so there is nothing to pass'),
    skipTests: true,
    skipSchemaValidation: true,
  }),
};

const SPEC: Record<string, Node> = {
  project: true,
  source: obj(SOURCE),
  // Multi-source (Argo CD's shape): a source may also be a `ref` lending files as `$ref/…` value files.
  sources: listOf({ ...SOURCE, ref: true }),
  // Another part of issue 21 resolves destination.server; it is listed so nothing is dropped.
  destination: obj({ name: true, namespace: true, server: true }),
  syncPolicy: obj({
    automated: obj({ prune: true, selfHeal: true, allowEmpty: true, enabled: true }),
    syncOptions: true,
    retry: obj({
      limit: true,
      backoff: obj({ duration: true, factor: true, maxDuration: true }),
      // Every retry resolves targetRevision again, so it always uses the latest revision.
      refresh: {
        only: [true],
        reason:
          'gitfleet retries with the latest revision of targetRevision; `refresh: false` cannot be honoured',
      },
    }),
    // Set on the namespace CreateNamespace=true creates (src/engine/sync/sync.ts).
    managedNamespaceMetadata: obj({ labels: true, annotations: true }),
  }),
  ignoreDifferences: listOf({
    group: true,
    kind: true,
    name: true,
    namespace: true,
    jsonPointers: true,
    managedFieldsManagers: true,
    // Evaluated with jq per object (src/engine/diff/jq.ts).
    jqPathExpressions: true,
  }),
  dependsOn: true,
  revisionHistoryLimit: true,
  // SOPS decryption, explicit health waits and their bound (issue 17).
  decryption: true,
  healthChecks: true,
  timeout: true,
  postBuild: obj({ substitute: true, substituteFrom: true }),
  // Informational key/value pairs in Argo CD: no behaviour to honour or drop.
  info: true,
};

/**
 * Application-level syncOptions gitfleet acts on, with the values it accepts. Anything else is
 * refused by name, never ignored. Some hold because gitfleet always behaves so (documented in
 * docs/application.md "Coming from Argo CD").
 */
const SYNC_OPTIONS: Record<string, readonly string[]> = {
  CreateNamespace: ['true', 'false'],
  // Always server-side apply; the client-side apply of `false` does not exist here.
  ServerSideApply: ['true', 'force'],
  ForceConflicts: ['true', 'false'],
  // No client-side validation ever runs; the apiserver's own checks remain either way.
  Validate: ['true', 'false'],
  // Prune always runs once after every wave of the Sync phase.
  PruneLast: ['true'],
  // An object owned by another Application is always refused.
  FailOnSharedResource: ['true'],
  PrunePropagationPolicy: ['foreground', 'background', 'orphan'],
  // Unchanged objects are never applied (each is compared by dry-run first), with or without it.
  ApplyOutOfSyncOnly: ['true', 'false'],
  Replace: ['true', 'false'],
  RespectIgnoreDifferences: ['true', 'false'],
};

const SYNC_OPTION_REASONS: Record<string, string> = {
  ServerSideApply: 'gitfleet always applies server-side; `ServerSideApply=false` cannot be honoured',
  PruneLast: 'gitfleet always prunes after the last wave; `PruneLast=false` cannot be honoured',
  FailOnSharedResource: 'gitfleet always refuses objects owned by another app',
};

/** The findings for one syncOptions list (path `spec.syncPolicy.syncOptions[i]`). */
export function unsupportedSyncOptions(options: readonly unknown[]): UnsupportedField[] {
  const out: UnsupportedField[] = [];
  options.forEach((raw, i) => {
    const path = `spec.syncPolicy.syncOptions[${i}]`;
    const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq);
    const value = eq < 0 ? '' : text.slice(eq + 1);
    const allowed = SYNC_OPTIONS[key];
    if (allowed?.includes(value)) return;
    const reason =
      SYNC_OPTION_REASONS[key] ??
      (allowed
        ? `${key} accepts ${allowed.map((v) => `${key}=${v}`).join(', ')}`
        : 'not a sync option gitfleet knows');
    out.push({ path: `${path} (${text})`, reason });
  });
  return out;
}

/**
 * Every field of `app` (an Application as read from the apiserver) that gitfleet would not honour:
 * refused Argo fields, fields it does not know, unknown syncOptions. Empty = the spec can be acted on.
 */
export function unsupportedApplicationFields(app: {
  spec?: unknown;
  operation?: unknown;
}): UnsupportedField[] {
  const out: UnsupportedField[] = [];
  if (app.operation !== undefined)
    out.push({
      path: 'operation',
      reason: 'Argo CD operations are not supported; request a sync with `gitfleet app sync`',
    });
  walk(app.spec, { fields: SPEC }, 'spec', out);
  const opts = (app.spec as { syncPolicy?: { syncOptions?: unknown } } | undefined)?.syncPolicy?.syncOptions;
  if (Array.isArray(opts)) out.push(...unsupportedSyncOptions(opts));
  return out;
}

function walk(value: unknown, node: Node, path: string, out: UnsupportedField[]): void {
  if (node === true || value === undefined || value === null) return;
  if ('refuseUnlessEmpty' in node) {
    if (!isEmptyValue(value)) out.push({ path, reason: node.refuseUnlessEmpty });
    return;
  }
  if ('only' in node) {
    if (!node.only.includes(value)) out.push({ path, reason: node.reason });
    return;
  }
  if ('refuse' in node) {
    out.push({ path, reason: node.refuse });
    return;
  }
  if (node.list) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, { fields: node.fields }, `${path}[${i}]`, out));
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, v] of Object.entries(value)) {
    const child = node.fields[key];
    if (child === undefined) out.push({ path: `${path}.${key}`, reason: 'not a field gitfleet knows' });
    else walk(v, child, `${path}.${key}`, out);
  }
}

/** `{}`, `[]`, `''`, or objects/arrays of only those: a setting that sets nothing. */
function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.every(isEmptyValue);
  if (typeof v === 'object') return Object.values(v).every(isEmptyValue);
  return false;
}

/** One line naming every finding, for a condition message or an error. */
export function formatUnsupportedFields(found: readonly UnsupportedField[]): string {
  return `unsupported fields (nothing was applied): ${found.map((f) => `${f.path}: ${f.reason}`).join('; ')}`;
}
