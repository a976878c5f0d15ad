/**
 * An ApplicationSet's Applications as they would be generated at one revision of a repository:
 * its git generators (directories, files) read that revision where they name the repository and
 * track the previewed branch; every other generator reads what the controller reads. Templating is
 * the fleet library's, as the ApplicationSet controller does it.
 */
import { API_VERSION, type Application } from '../api/application.js';
import { APPLICATIONSET_LABEL, type ApplicationSet } from '../api/applicationset.js';
import { normalizeRepoUrl } from '../engine/source/index.js';
import {
  applyTemplatePatch,
  generate,
  generatorTemplate,
  mergeTemplate,
  renderTemplate,
  withoutTemplate,
  type FleetPorts,
  type GeneratorSpec,
} from '../fleet/index.js';

/**
 * Whether two repository URLs name the same repository. Text that is not a URL (an ApplicationSet
 * template's `{{ .url }}`, a typo in someone else's Application) names none: it must not fail the
 * preview of every other repository of the fleet.
 */
export function sameRepo(a: string, b: string): boolean {
  const norm = (u: string): string | undefined => {
    try {
      return normalizeRepoUrl(u);
    } catch {
      return undefined;
    }
  };
  const na = norm(a);
  return na !== undefined && na === norm(b);
}

/** Whether a set's generators or template read `repoURL` (anywhere in matrix/merge too). */
export function setReadsRepo(set: ApplicationSet, repoURL: string): boolean {
  const seen = JSON.stringify(set.spec);
  return [...seen.matchAll(/"repoURL":"([^"]+)"/g)].some((m) => m[1] && sameRepo(m[1], repoURL));
}

/**
 * Ports that read `repoURL` at `sha` for every git generator naming it whose revision is one of
 * `tracking` (the previewed base branch, `HEAD`, empty); everything else goes to `ports`.
 */
export function portsAt(
  ports: FleetPorts,
  repoURL: string,
  sha: string,
  tracking: (rev: string) => boolean,
): FleetPorts {
  const pick = (url: string, rev: string): string => (sameRepo(url, repoURL) && tracking(rev) ? sha : rev);
  return {
    ...ports,
    gitDirectories: (url, rev) => ports.gitDirectories(url, pick(url, rev)),
    gitFiles: (url, rev, glob) => ports.gitFiles(url, pick(url, rev), glob),
  };
}

/** The Applications `set` generates with `ports`, by name; errors name the set and generator. */
export async function generatedApps(
  set: ApplicationSet,
  ports: FleetPorts,
): Promise<Map<string, Application>> {
  const goTemplate = set.spec.goTemplate ?? false;
  const goTemplateOptions = set.spec.goTemplateOptions ?? [];
  const out = new Map<string, Application>();
  for (const [i, g] of set.spec.generators.entries()) {
    const params = await generate(withoutTemplate(g) as GeneratorSpec, ports, {
      goTemplate,
      path: `generators[${i}]`,
    });
    const template = mergeTemplate(set.spec.template, generatorTemplate(g));
    for (const p of params) {
      let t = renderTemplate(template, p, { goTemplate, goTemplateOptions });
      if (set.spec.templatePatch) t = applyTemplatePatch(t, set.spec.templatePatch, p, goTemplateOptions);
      out.set(t.metadata.name, {
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: {
          name: t.metadata.name,
          namespace: set.metadata.namespace ?? '',
          labels: { ...t.metadata.labels, [APPLICATIONSET_LABEL]: set.metadata.name },
        },
        spec: t.spec,
      });
    }
  }
  return out;
}
