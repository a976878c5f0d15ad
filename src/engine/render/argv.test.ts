import { describe, expect, it } from 'vitest';

import { RenderError } from '../errors.js';
import { checkKubeVersion, checkNamespace, checkReleaseName, relativeArg } from './argv.js';

const OPTION_LIKE = ['--post-renderer=sh', '--output=/tmp/x', '-o', '--kube-version=1.30', '-', '--', ''];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof RenderError) return e.code;
    throw e;
  }
}

describe('argv grammars', () => {
  it.each(OPTION_LIKE)('refuses %j as a release name, a namespace and a kube version', (v) => {
    expect(codeOf(() => checkReleaseName(v, 'helm.releaseName', 'c/Chart.yaml'))).toBe(
      'render.InvalidParameter',
    );
    expect(codeOf(() => checkNamespace(v, 'helm.namespace', 'c/Chart.yaml'))).toBe('render.InvalidParameter');
    expect(codeOf(() => checkKubeVersion(v, 'helm.kubeVersion', 'c/Chart.yaml'))).toBe(
      'render.InvalidParameter',
    );
  });

  it('names the field and the file in the message', () => {
    expect(() => checkReleaseName('--post-renderer=sh', 'helm.releaseName', 'apps/web/Chart.yaml')).toThrow(
      /^apps\/web\/Chart\.yaml: helm\.releaseName "--post-renderer=sh" is not a valid Helm release name/u,
    );
  });

  it('accepts what Helm and Kubernetes accept, and refuses what they refuse', () => {
    expect(checkReleaseName('web-1.prod', 'f', undefined)).toBe('web-1.prod');
    expect(codeOf(() => checkReleaseName('a'.repeat(54), 'f', undefined))).toBe('render.InvalidParameter');
    expect(codeOf(() => checkReleaseName('Web', 'f', undefined))).toBe('render.InvalidParameter');
    expect(codeOf(() => checkReleaseName('web-', 'f', undefined))).toBe('render.InvalidParameter');
    expect(checkNamespace('team-a', 'f', undefined)).toBe('team-a');
    expect(codeOf(() => checkNamespace('team.a', 'f', undefined))).toBe('render.InvalidParameter');
    expect(codeOf(() => checkNamespace('a'.repeat(64), 'f', undefined))).toBe('render.InvalidParameter');
    for (const v of ['1.30', 'v1.30.2', '1.30.0-gke.100', 'v1.29.3+k3s1'])
      expect(checkKubeVersion(v, 'f', undefined)).toBe(v);
    expect(codeOf(() => checkKubeVersion('1.30 --debug', 'f', undefined))).toBe('render.InvalidParameter');
  });

  it('prefixes relative paths with ./ so none starts with a dash', () => {
    expect(relativeArg('--output=/tmp/x')).toBe('./--output=/tmp/x');
    expect(relativeArg('apps/-o')).toBe('./apps/-o');
    expect(relativeArg('')).toBe('.');
  });
});
