/**
 * Multi-source Applications (Argo CD's `spec.sources`): several sources rendered into one app, and
 * sources with `ref` whose files other sources read as `$ref/path` Helm value files. The app's
 * revision is the list of each source's resolved revision, joined by `,` in source order (a commit
 * SHA, a chart `version@sha256:…` or an artifact digest never contains a comma).
 */
import type { Application, ApplicationSource } from '../../api/application.js';
import type { Project } from '../../api/project.js';
import { GitfleetError } from '../../core/errors.js';
import { loadProject } from '../../governance/assess.js';
import { wildcard } from '../../governance/glob.js';
import type { KubeClient } from '../../kube/client.js';

const REF_NAME = /^[A-Za-z0-9_-]{1,63}$/u;

/** A source that only lends its files to others (`ref` without `path` or `chart`): not rendered. */
export function isRefOnly(s: ApplicationSource): boolean {
  return Boolean(s.ref) && !s.path && !s.chart;
}

/** The app's sources when it has `spec.sources` (which wins over `source`, as in Argo CD). */
export function multiSources(app: Application): ApplicationSource[] | undefined {
  const s = (app.spec as { sources?: ApplicationSource[] }).sources;
  return Array.isArray(s) && s.length > 0 ? s : undefined;
}

/**
 * Checks `spec.sources` and sets `spec.source` (in memory) to the first rendered source, so the
 * stages that name one repository (governance, history, webhooks) see one. Returns an error for a
 * spec without any source, a ref that is not a plain name or is declared twice, or a ref-only
 * source that is not Git.
 */
export function primarySourceInPlace(app: Application): GitfleetError | undefined {
  const sources = multiSources(app);
  if (!sources) {
    if (!(app.spec as { source?: unknown }).source)
      return new GitfleetError('spec.Invalid', 'spec.source or spec.sources is required');
    return undefined;
  }
  const seen = new Set<string>();
  for (const [i, s] of sources.entries()) {
    if (!s || typeof s.repoURL !== 'string' || !s.repoURL)
      return new GitfleetError('spec.Invalid', `spec.sources[${i}].repoURL is required`);
    if (s.ref === undefined) continue;
    if (typeof s.ref !== 'string' || !REF_NAME.test(s.ref))
      return new GitfleetError(
        'spec.Invalid',
        `spec.sources[${i}].ref must be a name of letters, digits, '-' or '_'`,
      );
    if (seen.has(s.ref))
      return new GitfleetError('spec.Invalid', `spec.sources[${i}].ref ${s.ref} is declared twice`);
    seen.add(s.ref);
    if (s.chart || s.repoURL.startsWith('oci://'))
      return new GitfleetError(
        'spec.Invalid',
        `spec.sources[${i}].ref: only a Git source can lend its files as $${s.ref}/…`,
      );
  }
  const primary = sources.find((s) => !isRefOnly(s));
  if (!primary)
    return new GitfleetError('spec.Invalid', 'spec.sources: every source is ref-only; nothing renders');
  app.spec.source = primary;
  return undefined;
}

/** The app with `source` as its only source (what the single-source stages take). */
export function withSource(app: Application, source: ApplicationSource): Application {
  const spec: Application['spec'] & { sources?: unknown } = { ...app.spec, source };
  delete spec.sources;
  return { ...app, spec };
}

/** The per-source revisions of a joined revision; an error when the count does not match. */
export function splitRevisions(revision: string, count: number): string[] {
  const revs = revision.split(',');
  if (revs.length !== count)
    throw new GitfleetError(
      'source.Failed',
      `revision ${revision} has ${revs.length} parts for ${count} sources`,
    );
  return revs;
}

/** `{ revisions }` for a multi-source app's status.sync (Argo CD's field), else nothing. */
export function revisionsOf(app: Application, revision: string): { revisions?: string[] } {
  return multiSources(app) ? { revisions: revision.split(',') } : {};
}

/**
 * Every source's repoURL must be admitted by the Project's `sourceRepos` before any of them is
 * fetched (the pre-fetch governance check sees only the primary source).
 */
export async function assertSourcesAdmitted(
  mgmt: KubeClient,
  hubNamespace: string,
  app: Application,
  sources: ApplicationSource[],
): Promise<void> {
  const name = app.spec.project ?? 'default';
  const project = await loadProject(mgmt, hubNamespace, name);
  const allowed = project?.spec.sourceRepos ?? [];
  const denied = sources
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => !allowed.some((p) => wildcard(p, s.repoURL)));
  if (denied.length)
    throw new GitfleetError(
      'project.Violation',
      denied
        .map(({ s, i }) => `spec.sources[${i}].repoURL ${s.repoURL} is not in project ${name}'s sourceRepos`)
        .join('; '),
    );
}

/**
 * The condition a failed source or render step sets: a Project refusal found there (a source of a
 * multi-source app, a chart dependency's or a `helmCharts` repository) is a `ProjectViolation`
 * like any other, so tooling that watches that condition sees it; anything else is `fallback`.
 */
export function failureCondition<T extends string>(e: unknown, fallback: T): T | 'ProjectViolation' {
  return e instanceof GitfleetError && e.code === 'project.Violation' ? 'ProjectViolation' : fallback;
}

/**
 * The pre-fetch Project verdict of a multi-source app with every source's repository checked, each
 * refusal naming the source's index and repoURL (the single-source check sees the primary source
 * only, and names no index: its message is replaced). `violations` unchanged for a single-source
 * app or a missing Project (already a violation of its own).
 */
export function withSourcesViolations(
  app: Application,
  project: Project | undefined,
  violations: readonly string[],
): string[] {
  const many = multiSources(app);
  if (!many || !project) return [...violations];
  const name = project.metadata.name;
  const allowed = project.spec.sourceRepos ?? [];
  const denied = many
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => !allowed.some((p) => wildcard(p, s.repoURL)))
    .map(({ s, i }) => `spec.sources[${i}].repoURL ${s.repoURL} is not in project ${name}'s sourceRepos`);
  if (!denied.length) return [...violations];
  const primary = `source ${app.spec.source.repoURL} is not in project ${name}'s sourceRepos`;
  return [...denied, ...violations.filter((v) => v !== primary)];
}
