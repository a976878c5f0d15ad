import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import { adoptionOf } from './ownership.js';

const deploy = (
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels, annotations },
});
const OWNER = 'team-a/shop';

describe('adoptionOf (Argo CD and Flux tracking marks)', () => {
  it('adopts an object whose Argo CD tracking id names this app and this object', () => {
    const live = deploy({}, { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:shop/web' });
    expect(adoptionOf(live, OWNER)).toEqual({ adopt: true, by: expect.stringContaining('tracking-id') });
    // Apps in any namespace: `<namespace>_<name>`.
    const anyNs = deploy({}, { 'argocd.argoproj.io/tracking-id': 'team-a_shop:apps/Deployment:shop/web' });
    expect(adoptionOf(anyNs, OWNER)?.adopt).toBe(true);
    const core: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'c',
        namespace: 'shop',
        annotations: { 'argocd.argoproj.io/tracking-id': 'shop:/ConfigMap:shop/c' },
      },
    };
    expect(adoptionOf(core, OWNER)?.adopt).toBe(true);
  });

  it("refuses as foreign an object whose tracking id names another app, even with this app's instance label", () => {
    const live = deploy(
      { 'app.kubernetes.io/instance': 'shop' },
      { 'argocd.argoproj.io/tracking-id': 'billing:apps/Deployment:shop/web' },
    );
    expect(adoptionOf(live, OWNER)).toEqual({ adopt: false, by: expect.stringContaining('billing') });
  });

  it('ignores a tracking id of another object (a manifest copied with its annotation)', () => {
    const live = deploy({}, { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:shop/other' });
    expect(adoptionOf(live, OWNER)).toBeUndefined();
  });

  it("adopts by Argo CD's instance label for the same app; another value is no claim", () => {
    expect(adoptionOf(deploy({ 'app.kubernetes.io/instance': 'shop' }), OWNER)?.adopt).toBe(true);
    expect(adoptionOf(deploy({ 'app.kubernetes.io/instance': 'my-release' }), OWNER)).toBeUndefined();
  });

  it("adopts by Flux's kustomize-controller and helm-controller labels; another name is foreign", () => {
    const k = deploy({
      'kustomize.toolkit.fluxcd.io/name': 'shop',
      'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
    });
    expect(adoptionOf(k, OWNER)?.adopt).toBe(true);
    const h = deploy({
      'helm.toolkit.fluxcd.io/name': 'shop',
      'helm.toolkit.fluxcd.io/namespace': 'flux-system',
    });
    expect(adoptionOf(h, OWNER)?.adopt).toBe(true);
    const other = deploy({ 'kustomize.toolkit.fluxcd.io/name': 'infra' });
    expect(adoptionOf(other, OWNER)).toEqual({ adopt: false, by: expect.stringContaining('infra') });
  });

  it('says nothing about objects gitfleet already owns or that carry no marks', () => {
    expect(adoptionOf(deploy(), OWNER)).toBeUndefined();
    const owned = deploy({ 'app.kubernetes.io/instance': 'shop' }, { 'gitfleet.dev/owner': 'team-b/x' });
    expect(adoptionOf(owned, OWNER)).toBeUndefined();
  });
});
