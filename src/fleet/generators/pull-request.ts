// The pull-request generator: the port lists open pull requests, this filters and maps them.

import { GeneratorError } from '../errors.js';
import type { Params, PullRequest, PullRequestFilter, PullRequestGeneratorSpec } from '../types.js';
import { applyValues, callPort, interpolate } from './context.js';
import type { GeneratorCall, GeneratorContext } from './context.js';

/**
 * A branch name as a DNS-label-friendly slug, as Argo CD's `branch_slug`: accents stripped,
 * lowercase, every run of other characters one '-', trimmed, at most 50 characters (room for a
 * suffix within the 63-character label limit).
 */
export function branchSlug(branch: string): string {
  return branch
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
}

interface CompiledFilter {
  branch?: RegExp;
  targetBranch?: RegExp;
  title?: RegExp;
}

function compileFilters(filters: PullRequestFilter[], call: GeneratorCall): CompiledFilter[] {
  const compile = (pattern: string | undefined, field: string): RegExp | undefined => {
    if (pattern === undefined) return undefined;
    try {
      return new RegExp(pattern);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new GeneratorError(call.path, `${field}: invalid regular expression: ${reason}`, { cause: err });
    }
  };
  return filters.map((f, i) => ({
    branch: compile(f.branchMatch, `pullRequest.filters[${i}].branchMatch`),
    targetBranch: compile(f.targetBranchMatch, `pullRequest.filters[${i}].targetBranchMatch`),
    title: compile(f.titleMatch, `pullRequest.filters[${i}].titleMatch`),
  }));
}

function passes(pr: PullRequest, filters: CompiledFilter[], labels: string[]): boolean {
  if (!labels.every((l) => pr.labels.includes(l))) return false;
  if (filters.length === 0) return true;
  return filters.some(
    (f) =>
      (!f.branch || f.branch.test(pr.branch)) &&
      (!f.targetBranch || f.targetBranch.test(pr.targetBranch)) &&
      (!f.title || f.title.test(pr.title)),
  );
}

/**
 * The params of one pull request, all strings as in Argo CD: `number`, `branch`, `branch_slug`,
 * `target_branch`, `target_branch_slug`, `head_sha`, `head_short_sha` (8), `head_short_sha_7`,
 * `title`, `author` ('' when unknown); goTemplate also gets `labels` as a list.
 */
export function pullRequestParams(pr: PullRequest, goTemplate: boolean): Params {
  const params: Params = {
    number: String(pr.number),
    title: pr.title,
    branch: pr.branch,
    branch_slug: branchSlug(pr.branch),
    target_branch: pr.targetBranch,
    target_branch_slug: branchSlug(pr.targetBranch),
    head_sha: pr.headSha,
    head_short_sha: pr.headSha.slice(0, 8),
    head_short_sha_7: pr.headSha.slice(0, 7),
    author: pr.author ?? '',
  };
  if (goTemplate) params.labels = [...pr.labels];
  return params;
}

/**
 * The pull-request generator. Exactly one provider must be set. A pull request is kept when it
 * carries every label in the provider's `labels` (Argo CD's place) and the top-level `labels`, and matches at least one filter (all of that filter's
 * regular expressions, unanchored); no filters keep all. Order is the port's.
 */
export async function pullRequestGeneratorParams(
  spec: PullRequestGeneratorSpec,
  ctx: GeneratorContext,
  call: GeneratorCall,
): Promise<Params[]> {
  const { values, ...rest } = spec;
  const resolved = interpolate(rest, 'pullRequest', ctx, call);
  const providers = (['gitea', 'github', 'gitlab'] as const).filter((p) => resolved[p] !== undefined);
  if (providers.length !== 1) {
    throw new GeneratorError(
      call.path,
      `pullRequest needs exactly one provider (gitea, github or gitlab), got ${providers.length}`,
    );
  }
  const filters = compileFilters(resolved.filters ?? [], call);
  const prs = await callPort(call, `listing pull requests from ${providers.join('')}`, () =>
    ctx.ports.pullRequests(resolved),
  );
  // Argo CD reads the label filter from the provider (`gitea.labels`); the top-level `labels`
  // is gitfleet's older spelling. Both apply.
  const provider = resolved.gitea ?? resolved.github ?? resolved.gitlab;
  const labels = [...(resolved.labels ?? []), ...(provider?.labels ?? [])];
  return prs
    .filter((pr) => passes(pr, filters, labels))
    .map((pr) => applyValues(pullRequestParams(pr, ctx.goTemplate), values, ctx, call));
}
