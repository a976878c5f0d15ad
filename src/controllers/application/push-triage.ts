import type { Application } from '../../api/application.js';
import type { GitCredentials, GitSources } from '../../engine/source/index.js';
import { normalizeRepoUrl } from '../../engine/source/index.js';
import type { RenderInputs } from './prepare.js';

/**
 * A push to a repository read by many Applications (a monorepo of services) concerns all of them,
 * but changes the manifests of few. Every one of them must move to the new commit, yet the ones whose
 * files changed must not wait behind hundreds that only move their revision (issue 14: commit→applied
 * whatever the number of apps reading the repository). This decides which apps' render inputs the
 * push touched, from Git alone: one fetch per repository (the same shared fetch their reconciles
 * join), then, per app, the Git object ids at the new commit of the paths its last render read.
 *
 * It only orders work; it never skips any. An app it cannot judge (never rendered here, several
 * sources, a chart or OCI source, any error) counts as changed.
 */
export interface TriageApp {
  key: string;
  app: Application;
  /** What this app's last render read, when known. */
  inputs?: RenderInputs;
}

export interface TriageDeps {
  sources: GitSources;
  /** The credentials the app's own reconcile would fetch its source with. */
  credentials: (app: Application) => Promise<GitCredentials | undefined>;
}

/** Keys of the apps a push at or after `since` may have changed: they go first. */
export async function changedByPush(deps: TriageDeps, apps: TriageApp[], since: number): Promise<string[]> {
  const byRepo = new Map<string, TriageApp[]>();
  const changed: string[] = [];
  for (const a of apps) {
    const src = a.app.spec?.source;
    if (
      !a.inputs ||
      a.app.spec?.sources?.length ||
      !src?.repoURL ||
      !sameRepo(src.repoURL, a.inputs.repoURL)
    ) {
      changed.push(a.key);
      continue;
    }
    const repo = normalizeRepoUrl(src.repoURL);
    byRepo.set(repo, [...(byRepo.get(repo) ?? []), a]);
  }
  await Promise.all(
    [...byRepo.values()].map(async (group) => {
      const first = group[0];
      if (!first) return;
      const url = first.app.spec.source?.repoURL ?? '';
      let creds: GitCredentials | undefined;
      try {
        creds = await deps.credentials(first.app);
        await deps.sources.fetch(url, creds, { force: true, since });
      } catch {
        changed.push(...group.map((a) => a.key));
        return;
      }
      const verdicts = await Promise.all(group.map((a) => touched(deps.sources, a, creds).catch(() => true)));
      group.forEach((a, i) => {
        if (verdicts[i]) changed.push(a.key);
      });
    }),
  );
  return changed;
}

async function touched(
  sources: GitSources,
  a: TriageApp,
  creds: GitCredentials | undefined,
): Promise<boolean> {
  const inputs = a.inputs;
  const src = a.app.spec.source;
  if (!inputs || !src) return true;
  const sha = (await sources.resolve(src.repoURL, src.targetRevision ?? 'HEAD', creds)).sha;
  if (sha === inputs.sha) return false;
  const paths = Object.entries(inputs.ids);
  if (!paths.length) return true;
  for (const [path, id] of paths) if ((await sources.treeHash(src.repoURL, sha, path)) !== id) return true;
  return false;
}

function sameRepo(a: string, b: string): boolean {
  try {
    return normalizeRepoUrl(a) === normalizeRepoUrl(b);
  } catch {
    return false;
  }
}

/** Whether two renders read exactly the same Git objects of the same repository. */
export function sameRenderInputs(a: RenderInputs, b: RenderInputs): boolean {
  if (!sameRepo(a.repoURL, b.repoURL)) return false;
  const ka = Object.keys(a.ids);
  if (!ka.length || ka.length !== Object.keys(b.ids).length) return false;
  return ka.every((p) => b.ids[p] === a.ids[p]);
}
