// In-memory FleetPorts for tests (here and in the controllers' tests): a repository is a map of
// file paths to contents, and its directories are every ancestor of those files.

import { GeneratorError } from '../errors.js';
import type { ClusterInfo, FleetPorts, PullRequest, PullRequestGeneratorSpec } from '../types.js';
import { matchGlob } from './glob.js';

/** What a fake serves. */
export interface FakeFleet {
  clusters?: ClusterInfo[];
  /** repoURL → (path → content). Every revision sees the same files. */
  repos?: Record<string, Record<string, string>>;
  pullRequests?: PullRequest[];
}

/** Fake ports plus a log of every call, e.g. `gitFiles https://x@HEAD apps/*.json`. */
export interface FakePorts extends FleetPorts {
  calls: string[];
}

/** In-memory ports; an unknown repository rejects, as a real Git source would. */
export function fakePorts(fleet: FakeFleet): FakePorts {
  const calls: string[] = [];
  const repo = (url: string): Record<string, string> => {
    const files = fleet.repos?.[url];
    if (!files) throw new Error(`repository ${url} not found`);
    return files;
  };
  return {
    calls,
    clusters: async () => {
      calls.push('clusters');
      return structuredClone(fleet.clusters ?? []);
    },
    gitDirectories: async (url, revision) => {
      calls.push(`gitDirectories ${url}@${revision}`);
      const dirs = new Set<string>();
      for (const path of Object.keys(repo(url))) {
        const parts = path.split('/');
        for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
      }
      return [...dirs].reverse();
    },
    gitFiles: async (url, revision, glob) => {
      calls.push(`gitFiles ${url}@${revision} ${glob}`);
      return Object.entries(repo(url))
        .filter(([path]) => matchGlob(glob, path))
        .map(([path, content]) => ({ path, content }));
    },
    pullRequests: async (spec: PullRequestGeneratorSpec) => {
      calls.push(`pullRequests ${JSON.stringify(spec)}`);
      return structuredClone(fleet.pullRequests ?? []);
    },
  };
}

/** Awaits `promise` and returns the GeneratorError it rejects with; anything else fails the test. */
export async function generatorError(promise: Promise<unknown>): Promise<GeneratorError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GeneratorError) return err;
    throw err;
  }
  throw new Error('expected a GeneratorError, but the promise resolved');
}
